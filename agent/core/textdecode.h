/*
 * Making a file redactable: before a file enters a bundle it must be UTF-8
 * text, because the redaction rules read text. Customers' evidence often is
 * not: logrotate compresses rotated logs (gzip, zstd, xz, bzip2), Windows
 * programs write UTF-16, older ones CP1251, CP1252 or Shift-JIS, and a log
 * preallocated or cut by a crash holds runs of NUL bytes. textdecode_fd()
 * turns each of those into a UTF-8 stream, or says why it cannot, so that a
 * file is either redacted or left out, never shipped as it is.
 */
#ifndef RDIAG_TEXTDECODE_H
#define RDIAG_TEXTDECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Upper bound of decompressed text per file, whatever the ratio allows. */
#define TEXTDECODE_MAX_OUT ((uint64_t)1 << 30)
/* Decompressed bytes allowed per compressed byte (the review bomb ratio). */
#define TEXTDECODE_RATIO 250

struct textdecode {
	/* "gzip", "zstd", "xz", "bzip2", or "" when not compressed. */
	char compression[8];
	/* What the text was written in: "UTF-8", "UTF-16LE", "UTF-16BE",
	 * "CP1251", "CP1252" or "SHIFT_JIS". */
	char encoding[16];
	/* The decoded text stopped at the cap (a marker line says so). */
	bool truncated;
	/* The text holds runs of NUL bytes (kept; they do not make it
	 * binary). */
	bool nul_gaps;
};

enum {
	TEXTDECODE_AS_IS = 0,   /* UTF-8 text: redact the source itself */
	TEXTDECODE_DECODED = 1, /* UTF-8 text was written to out_fd */
};

/*
 * Look at the regular file src_fd (size bytes) and decide how it becomes
 * UTF-8 text. Returns TEXTDECODE_AS_IS, or TEXTDECODE_DECODED after writing
 * the decompressed and/or transcoded text to out_fd (positioned at its
 * end; the caller rewinds it), or -EMEDIUMTYPE when the file is not text
 * in any form known here, with *ret_reason (caller frees) saying why, or
 * another negative errno from reading or writing. *ret describes what was
 * found in every case that returns >= 0. src_fd's offset is not used.
 */
int textdecode_fd(int src_fd, uint64_t size, int out_fd, struct textdecode *ret,
		  char **ret_reason);

/*
 * The encoding of a head of text (one of the names above), or NULL when it
 * looks binary. Exposed for tests.
 */
const char *textdecode_sniff(const unsigned char *p, size_t n,
			     bool *ret_nul_gaps);

/* The compression whose magic opens p[0..n), or NULL. */
const char *textdecode_compression(const unsigned char *p, size_t n);

#endif
