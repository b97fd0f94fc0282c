/*
 * The configuration schema (see config_schema.h), assembled here, beside
 * the command table, because this is the one place that may see every
 * subsystem's key table and the collector registry at once.
 */
#include "cli/config_schema.h"
#include "core/run.h"
#include "registry.h"
#include "request/agentd.h"
#include "request/request.h"
#include "session/session.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

static const struct config_section agent_sections[] = {
	{ "agent", run_config_keys },        { "upload", upload_config_keys },
	{ "session", session_config_keys },  { "ticket", ticket_config_keys },
	{ "requests", request_config_keys }, { "agentd", agentd_config_keys },
};

size_t config_schema_agent_sections(void)
{
	return ARRAY_SIZE(agent_sections);
}

const struct config_section *config_schema(void)
{
	static struct config_section *schema;
	size_t n = 0, i = 0;

	if (schema)
		return schema;
	for (const struct collector *const *c = registry_collectors; *c; c++)
		n++;
	schema = xcalloc(ARRAY_SIZE(agent_sections) + n + 1, sizeof(*schema));
	for (; i < ARRAY_SIZE(agent_sections); i++)
		schema[i] = agent_sections[i];
	for (const struct collector *const *c = registry_collectors; *c; c++)
		schema[i++] = (struct config_section){ (*c)->name, (*c)->keys };
	return schema;
}
