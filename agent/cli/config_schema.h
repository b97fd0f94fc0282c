/*
 * The whole configuration schema in one table: the agent's own sections
 * ([agent], [upload], [ticket], [session], [requests], [agentd]) and one
 * section per collector of the registry, each with its keys and their
 * defaults. config.c validates against it without knowing any section;
 * `rdiag list` and the docs test print from it.
 */
#ifndef RDIAG_CONFIG_SCHEMA_H
#define RDIAG_CONFIG_SCHEMA_H

#include "core/config.h"

/*
 * The sections, agent's own first, then the collectors in registry order;
 * ended by an entry whose name is NULL. Built once, never freed.
 */
const struct config_section *config_schema(void);

/* How many of config_schema()'s first sections are the agent's own. */
size_t config_schema_agent_sections(void);

#endif
