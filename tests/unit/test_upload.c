/*
 * Unit tests for the pure parts of uploading: URL parsing per scheme and
 * scrubbing, SigV4 encoding and canonical queries, Retry-After, backoff,
 * the S3 resume file and the receipt, and [upload] options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "rdiag/url.h"
#include "upload/upload.h"
#include "upload/upload_int.h"

static void test_url_parse_ok(void **state)
{
	static const struct {
		const char *in;
		enum upload_scheme scheme;
		const char *user, *host;
		unsigned port;
		const char *path, *query, *bucket, *key;
	} cases[] = {
		{ "https://store.example/in/", UPLOAD_HTTPS, NULL,
		  "store.example", 0, "/in/", NULL, NULL, NULL },
		{ "https://vendor@127.0.0.1:8443/up/x.tgz?X-Amz-Signature=ab",
		  UPLOAD_HTTPS, "vendor", "127.0.0.1", 8443, "/up/x.tgz",
		  "X-Amz-Signature=ab", NULL, NULL },
		{ "https://[::1]:9000", UPLOAD_HTTPS, NULL, "[::1]", 9000, "/",
		  NULL, NULL, NULL },
		{ "s3://bkt/tickets/4711/", UPLOAD_S3, NULL, NULL, 0,
		  "/tickets/4711/", NULL, "bkt", "tickets/4711/" },
		{ "s3://bkt/a%20b.tgz", UPLOAD_S3, NULL, NULL, 0, "/a%20b.tgz",
		  NULL, "bkt", "a b.tgz" },
		{ "s3://bkt", UPLOAD_S3, NULL, NULL, 0, "/", NULL, "bkt", "" },
		{ "sftp://sup%40port@host:2022/~/in/", UPLOAD_SFTP, "sup@port",
		  "host", 2022, "/~/in/", NULL, NULL, NULL },
		{ "tus+https://h/files", UPLOAD_TUS, NULL, "h", 0, "/files",
		  NULL, NULL, NULL },
		{ "file:///mnt/nas/in/", UPLOAD_FILE, NULL, NULL, 0,
		  "/mnt/nas/in/", NULL, NULL, NULL },
		{ "file://localhost/srv/x", UPLOAD_FILE, NULL, NULL, 0,
		  "/srv/x", NULL, NULL, NULL },
		/* Schemes are case-insensitive (RFC 3986 3.1). */
		{ "HTTPS://Store.Example/in/", UPLOAD_HTTPS, NULL,
		  "Store.Example", 0, "/in/", NULL, NULL, NULL },
		{ "Tus+Https://h/files", UPLOAD_TUS, NULL, "h", 0, "/files",
		  NULL, NULL, NULL },
		/* The userinfo ends at the last '@' (the hand parser took the
		 * first and made "port@host" the host). */
		{ "sftp://sup@port@host/in/", UPLOAD_SFTP, "sup@port", "host",
		  0, "/in/", NULL, NULL, NULL },
		{ "sftp://%73upport@host/", UPLOAD_SFTP, "support", "host", 0,
		  "/", NULL, NULL, NULL },
		/* An IPv6 zone is kept, written the way a URL needs it. */
		{ "https://[fe80::1%eth0]:8443/in", UPLOAD_HTTPS, NULL,
		  "[fe80::1%25eth0]", 8443, "/in", NULL, NULL, NULL },
		{ "https://[fe80::1%25eth0]/", UPLOAD_HTTPS, NULL,
		  "[fe80::1%25eth0]", 0, "/", NULL, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct upload_url u;
		char *err = NULL;

		assert_int_equal(upload_url_parse(cases[i].in, &u, &err), 0);
		assert_null(err);
		assert_int_equal(u.scheme, cases[i].scheme);
#define STR_EQ(a, b)                                   \
	do {                                           \
		if ((b) == NULL)                       \
			assert_null(a);                \
		else                                   \
			assert_string_equal((a), (b)); \
	} while (0)
		STR_EQ(u.user, cases[i].user);
		STR_EQ(u.host, cases[i].host);
		STR_EQ(u.path, cases[i].path);
		STR_EQ(u.query, cases[i].query);
		STR_EQ(u.bucket, cases[i].bucket);
		STR_EQ(u.key, cases[i].key);
		assert_int_equal(u.port, cases[i].port);
		upload_url_release(&u);
	}
}

static void test_url_parse_refused(void **state)
{
	static const struct {
		const char *in, *must_say;
	} cases[] = {
		{ "http://h/x", "unsupported" },
		{ "ftp://h/x", "unsupported" },
		{ "https://u:SECRETPW@h/x", "never go on the command line" },
		{ "sftp://u:SECRETPW@h/x", "never go on the command line" },
		{ "sftp://h/x", "needs a user name" },
		{ "https:///x", "has no host" },
		{ "s3:///key", "has no bucket" },
		{ "https://h:99999/x", "bad port" },
		{ "https://h:/x", "bad port" },
		{ "https://h/x#frag", "fragment" },
		{ "s3://b/k?x=1", "may not have a query" },
		{ "s3://b/%zz", "bad escape" },
		{ "s3://b/%00", "bad escape" },
		{ "https://h/a b", "spaces" },
		{ "file://host/x", "file:///absolute/path" },
		{ "file:///x?y", "file:///absolute/path" },
		{ "https://[::1/x", "IPv6" },
		/* What the hand parser let through. */
		{ "https://[store.example]/x", "IPv6" },
		{ "https://[::1]:0/x", "bad port" },
		{ "https://h$x/in", "bad host name" },
		{ "sftp://a%0Ab@h/x", "bad user name" },
		{ "sftp://u@x:SECRETPW@h/x", "never go on the command line" },
		{ "https://u:SEC@RETPW@h/x", "never go on the command line" },
		{ "s3://u@b/k", "bad user name" },
		{ "https://@h/x", "bad user name" },
		{ "https://:443/x", "has no host" },
		{ "file://", "file:///absolute/path" },
		{ "file:///in/a%00b", "bad escape" },
		{ "file:///in/a%zz", "bad escape" },
		{ "sftp://u@h/in/a%0Ab", "bad escape" },
		{ "file://localhost", "file:///absolute/path" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct upload_url u;
		char *err = NULL;

		assert_int_equal(upload_url_parse(cases[i].in, &u, &err),
				 -EINVAL);
		assert_non_null(err);
		if (!strstr(err, cases[i].must_say))
			fail_msg("'%s': '%s' lacks '%s'", cases[i].in, err,
				 cases[i].must_say);
		assert_null(strstr(err, "SECRETPW"));
		free(err);
	}
}

/* A URL libcurl itself would refuse is refused early, and not echoed. */
static void test_url_too_long(void **state)
{
	size_t n = URL_MAX_LEN + 100;
	char *s = xmalloc(n + 1), *err = NULL;
	struct upload_url u;

	(void)state;
	memset(s, 'a', n);
	memcpy(s, "https://h/", 10);
	s[n] = '\0';
	assert_int_equal(upload_url_parse(s, &u, &err), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	assert_true(strlen(err) < 100);
	free(err);
	s[URL_MAX_LEN] = '\0';
	assert_int_equal(upload_url_parse(s, &u, &err), 0);
	upload_url_release(&u);
	free(s);
}

static void test_url_scrub(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://u:pw@h/x", "https://u@h/x" },
		{ "https://u@h/x", "https://u@h/x" },
		{ "https://h/x?X-Amz-Signature=abc", "https://h/x?..." },
		{ "sftp://a:b@c@h:22/p", "sftp://a@h:22/p" },
		{ "s3://b/k", "s3://b/k" },
		{ "no-scheme?q=1", "no-scheme?..." },
		{ "file:///x", "file:///x" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = upload_url_scrub(cases[i].in);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void test_uri_encode(void **state)
{
	char *s;

	(void)state;
	s = upload_uri_encode("a b/c~d_e.f-g+h=i", true);
	assert_string_equal(s, "a%20b/c~d_e.f-g%2Bh%3Di");
	free(s);
	s = upload_uri_encode("x/y", false);
	assert_string_equal(s, "x%2Fy");
	free(s);
	s = upload_uri_encode("\xc3\xa4", true);
	assert_string_equal(s, "%C3%A4");
	free(s);
}

static void test_s3_query(void **state)
{
	static const char *const n1[] = { "uploads" };
	static const char *const v1[] = { NULL };
	static const char *const n2[] = { "uploadId", "partNumber" };
	static const char *const v2[] = { "a/b+c=", "10" };
	static const char *const n3[] = { "b", "B", "a" };
	static const char *const v3[] = { "2", "1", "" };
	char *q;

	(void)state;
	q = upload_s3_query(n1, v1, 1);
	assert_string_equal(q, "uploads=");
	free(q);
	q = upload_s3_query(n2, v2, 2);
	assert_string_equal(q, "partNumber=10&uploadId=a%2Fb%2Bc%3D");
	free(q);
	q = upload_s3_query(n3, v3, 3);
	assert_string_equal(q, "B=1&a=&b=2");
	free(q);
	q = upload_s3_query(NULL, NULL, 0);
	assert_string_equal(q, "");
	free(q);
}

/*
 * A one-shot HTTP server on loopback: each accepted connection gets the
 * next canned reply. The child exits after the last one.
 */
static pid_t serve_replies(const char *const *replies, size_t n,
			   unsigned *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	assert_true(ls >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 8), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
	*ret_port = ntohs(sa.sin_port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < n; i++) {
			char req[4096];
			int fd = accept(ls, NULL, NULL);

			if (fd < 0)
				_exit(1);
			(void)read(fd, req, sizeof(req));
			(void)write(fd, replies[i], strlen(replies[i]));
			close(fd);
		}
		_exit(0);
	}
	close(ls);
	return pid;
}

static unsigned fetch_retry_after(unsigned port)
{
	char url[64];
	CURL *h = curl_easy_init();
	unsigned s;

	assert_non_null(h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	s = upload_retry_after_s(h);
	curl_easy_cleanup(h);
	return s;
}

static void test_retry_after(void **state)
{
	char soon[160], past[160], date[64];
	time_t t = time(NULL) + 30;
	struct tm tm;
	const char *const replies[] = {
		"HTTP/1.1 503 x\r\nRetry-After: 120\r\nContent-Length: "
		"0\r\n\r\n",
		"HTTP/1.1 429 x\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
		soon,
		past,
		"HTTP/1.1 503 x\r\nRetry-After: soon\r\nContent-Length: "
		"0\r\n\r\n",
		"HTTP/1.1 503 x\r\nRetry-After: 99999999\r\n"
		"Content-Length: 0\r\n\r\n",
		"HTTP/1.1 503 x\r\nRetry-After: 604800\r\n"
		"Content-Length: 0\r\n\r\n",
		"HTTP/1.1 503 x\r\nContent-Length: 0\r\n\r\n",
	};
	unsigned port, s;
	int status;
	pid_t pid;

	(void)state;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(soon, sizeof(soon),
		 "HTTP/1.1 503 x\r\nRetry-After: %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 date);
	snprintf(past, sizeof(past),
		 "HTTP/1.1 503 x\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 "
		 "GMT\r\nContent-Length: 0\r\n\r\n");
	pid = serve_replies(replies, sizeof(replies) / sizeof(replies[0]),
			    &port);
	assert_int_equal(fetch_retry_after(port), 120);
	assert_int_equal(fetch_retry_after(port), 0);
	s = fetch_retry_after(port);
	assert_true(s >= 28 && s <= 30);
	assert_int_equal(fetch_retry_after(port), 0);
	assert_int_equal(fetch_retry_after(port), 0);
	assert_int_equal(fetch_retry_after(port), 0);
	assert_int_equal(fetch_retry_after(port), 604800);
	assert_int_equal(fetch_retry_after(port), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int collect_contents(char **values, size_t n, void *arg)
{
	struct buf *b = arg;

	assert_int_equal(n, 2);
	buf_printf(b, "[%s|%s]", values[0] ? values[0] : "-",
		   values[1] ? values[1] : "-");
	return 0;
}

static void test_s3_xml(void **state)
{
	/* An S3 error body as AWS sends it, with entities in the message. */
	static const char err[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
		"signature we calculated does not match the signature you "
		"provided. Check your key &amp; signing method &lt;v4&gt;."
		"</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
	static const char ns[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<InitiateMultipartUploadResult "
		"xmlns=\"http://s3.amazonaws.com/"
		"doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key>"
		"<UploadId><![CDATA[VXBsb2FkIElE<&>]]></UploadId>"
		"</InitiateMultipartUploadResult>";
	static const char prefixed[] =
		"<s3:Error "
		"xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<s3:Code>NoSuchUpload</s3:Code></s3:Error>";
	static const char decoy[] =
		"<Error><!-- <Code>Fake</Code> --><Message>&lt;Code&gt;x"
		"&lt;/Code&gt;</Message><Code>Real</Code></Error>";
	static const char laughs[] =
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
		"<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
		"]><Error><Code>&lol4;</Code></Error>";
	static const char list[] =
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/"
		"2006-03-01/\"><Name>b</Name><Contents><Key>a&amp;b.json</Key>"
		"<Size>12</Size></Contents><Contents><Key>dir/</Key></Contents>"
		"<Contents><Size>3</Size><Key><![CDATA[c<d]]></Key></Contents>"
		"</ListBucketResult>";
	static const char *const fields[] = { "Key", "Size" };
	struct buf b;
	char *v, *big;
	size_t n = UPLOAD_XML_MAX + 1;

	(void)state;
	v = upload_xml_value(err, "Message");
	assert_string_equal(v, "The request signature we calculated does not "
			       "match the signature you provided. Check your "
			       "key & signing method <v4>.");
	free(v);
	v = upload_xml_value(err, "Code");
	assert_string_equal(v, "SignatureDoesNotMatch");
	free(v);
	v = upload_xml_value(ns, "UploadId");
	assert_string_equal(v, "VXBsb2FkIElE<&>");
	free(v);
	v = upload_xml_value(prefixed, "Code");
	assert_string_equal(v, "NoSuchUpload");
	free(v);
	v = upload_xml_value(decoy, "Code");
	assert_string_equal(v, "Real");
	free(v);
	assert_null(upload_xml_value(err, "Nope"));
	assert_null(upload_xml_value("<Error><Code>x</Err", "Code"));
	/* A DTD is refused before any entity is expanded. */
	assert_null(upload_xml_value(laughs, "Code"));
	assert_int_equal(upload_xml_each(laughs, strlen(laughs), NULL, fields,
					 1, collect_contents, NULL),
			 -EBADMSG);
	/* Oversized input is refused unread. */
	big = xcalloc(1, n + 1);
	memcpy(big, "<Error><Code>x</Code>", 21);
	memset(big + 21, ' ', n - 21 - 8);
	memcpy(big + n - 8, "</Error>", 8);
	assert_null(upload_xml_value(big, "Code"));
	assert_int_equal(upload_xml_each(big, n, NULL, fields, 1,
					 collect_contents, NULL),
			 -EFBIG);
	free(big);
	buf_init(&b, 4096);
	assert_int_equal(upload_xml_each(list, strlen(list), "Contents", fields,
					 2, collect_contents, &b),
			 0);
	assert_string_equal(b.data, "[a&b.json|12][dir/|-][c<d|3]");
	buf_release(&b);
}

static void test_tus_location(void **state)
{
	static const struct {
		const char *base, *loc, *want;
	} cases[] = {
		{ "https://h:8443/files/", "https://h:8443/files/abc",
		  "/files/abc" },
		/* another origin's path is used on ours */
		{ "https://h/files/", "http://other.example/x/y?z=1",
		  "/x/y?z=1" },
		{ "https://h/files/", "/files/def", "/files/def" },
		{ "https://h/files/", "ghi", "/files/ghi" },
		{ "https://h/files", "ghi", "/ghi" },
		{ "https://h/a/b/", "../c?k=v", "/a/c?k=v" },
		{ "https://h/files/", "//other.example/p", "/p" },
		{ "https://h/files/", "http://[::1", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = upload_location_path(cases[i].base, cases[i].loc);

		if (cases[i].want)
			assert_string_equal(p, cases[i].want);
		else
			assert_null(p);
		free(p);
	}
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(upload_backoff_ms(0, 1000, 60000, 0.5), 0);
	/* Equal jitter: half fixed, half spread. */
	assert_int_equal(upload_backoff_ms(1, 1000, 60000, 0), 500);
	assert_int_equal(upload_backoff_ms(1, 1000, 60000, 0.999999), 999);
	assert_int_equal(upload_backoff_ms(2, 1000, 60000, 0), 1000);
	assert_int_equal(upload_backoff_ms(3, 1000, 60000, 0.5), 3000);
	/* Capped, also for huge attempt counts (no overflow). */
	assert_int_equal(upload_backoff_ms(10, 1000, 60000, 0), 30000);
	assert_int_equal(upload_backoff_ms(1000, 1000, 60000, 0.999999), 59999);
	/* Jitter outside [0, 1) is clamped. */
	assert_int_equal(upload_backoff_ms(1, 1000, 60000, -3), 500);
	assert_true(upload_backoff_ms(1, 1000, 60000, 7) < 1000);
}

static char *tmp_path(const char *name)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	return xasprintf("%s/rdiag-test-upload-%d-%s", dir, (int)getpid(),
			 name);
}

static void test_s3_state_round_trip(void **state)
{
	struct upload_s3_state st, back;
	char *path = tmp_path("state.json");
	struct stat sb;

	(void)state;
	upload_s3_state_init(&st);
	st.target = xstrdup("s3://bkt/k");
	st.upload_id = xstrdup("id-1/2");
	st.size = 1000;
	st.mtime = 1700000000;
	st.part_size = 300;
	st.nparts = 4;
	st.etags = xcalloc(4, sizeof(*st.etags));
	st.etags[0] = xstrdup("\"e1\"");
	st.etags[2] = xstrdup("\"e3\"");
	assert_int_equal(upload_s3_state_write(path, &st), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(upload_s3_state_read(path, &back), 0);
	assert_string_equal(back.target, "s3://bkt/k");
	assert_string_equal(back.upload_id, "id-1/2");
	assert_int_equal(back.size, 1000);
	assert_int_equal(back.mtime, 1700000000);
	assert_int_equal(back.part_size, 300);
	assert_int_equal(back.nparts, 4);
	assert_string_equal(back.etags[0], "\"e1\"");
	assert_null(back.etags[1]);
	assert_string_equal(back.etags[2], "\"e3\"");
	assert_null(back.etags[3]);
	upload_s3_state_release(&back);
	upload_s3_state_release(&st);
	unlink(path);
	assert_int_equal(upload_s3_state_read(path, &back), -ENOENT);
	free(path);
}

static void test_s3_state_malformed(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"format\":\"other/1\"}",
		/* part number past the last part */
		"{\"format\":\"rdiag-s3-resume/1\",\"target\":\"t\","
		"\"upload_id\":\"i\",\"size\":10,\"mtime\":1,\"part_size\":5,"
		"\"parts\":[{\"part\":3,\"etag\":\"e\"}]}",
		/* a part given twice */
		"{\"format\":\"rdiag-s3-resume/1\",\"target\":\"t\","
		"\"upload_id\":\"i\",\"size\":10,\"mtime\":1,\"part_size\":5,"
		"\"parts\":[{\"part\":1,\"etag\":\"e\"},"
		"{\"part\":1,\"etag\":\"f\"}]}",
		/* zero part size */
		"{\"format\":\"rdiag-s3-resume/1\",\"target\":\"t\","
		"\"upload_id\":\"i\",\"size\":10,\"mtime\":1,\"part_size\":0,"
		"\"parts\":[]}",
		/* empty upload id */
		"{\"format\":\"rdiag-s3-resume/1\",\"target\":\"t\","
		"\"upload_id\":\"\",\"size\":10,\"mtime\":1,\"part_size\":5,"
		"\"parts\":[]}",
	};
	char *path = tmp_path("bad.json");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct upload_s3_state st;
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		assert_int_equal(upload_s3_state_read(path, &st), -EINVAL);
		assert_null(st.upload_id);
		assert_null(st.etags);
	}
	unlink(path);
	free(path);
}

static void test_receipt_round_trip(void **state)
{
	struct upload_receipt r, back;
	char *path = tmp_path("receipt.json");
	json_t *j;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.status = xstrdup("uploaded");
	r.target = xstrdup("https://u@h/x?...");
	r.scheme = xstrdup("https");
	r.bundle = xstrdup("b.tar.gz");
	r.size = 4242;
	r.etag = xstrdup("\"abc\"");
	r.attempts = 2;
	snprintf(r.time, sizeof(r.time), "2026-11-28T07:00:00Z");
	assert_int_equal(upload_receipt_write(path, &r), 0);
	assert_int_equal(upload_receipt_read(path, &back), 0);
	assert_string_equal(back.status, "uploaded");
	assert_string_equal(back.target, "https://u@h/x?...");
	assert_string_equal(back.etag, "\"abc\"");
	assert_null(back.sha256);
	assert_int_equal(back.size, 4242);
	assert_string_equal(back.time, "2026-11-28T07:00:00Z");
	j = upload_receipt_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "format")),
			    "rdiag-upload-receipt/1");
	assert_true(json_is_null(json_object_get(j, "sha256")));
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 2);
	json_decref(j);
	upload_receipt_release(&back);
	upload_receipt_release(&r);
	unlink(path);
	assert_int_equal(upload_receipt_read(path, &back), -ENOENT);
	upload_receipt_release(&back);
	free(path);
}

static void test_opts(void **state)
{
	struct upload_opts o;
	struct config c;
	char *err = NULL, *path = tmp_path("open.conf");
	FILE *f;

	(void)state;
	unsetenv("RDIAG_UPLOAD_PASSWORD");
	unsetenv("AWS_ACCESS_KEY_ID");
	config_init(&c);
	assert_int_equal(upload_opts_load(&o, &c, &err), 0);
	assert_int_equal(o.retries, 5);
	assert_int_equal(o.part_size, 16u << 20);
	assert_string_equal(o.s3_region, "us-east-1");
	config_add(&c, "upload", "part_size", "256K", "--x");
	config_add(&c, "upload", "retries", "2", "--x");
	config_add(&c, "upload", "retry_max_delay", "3", "--x");
	assert_int_equal(upload_opts_load(&o, &c, &err), 0);
	assert_int_equal(o.part_size, 256u << 10);
	assert_int_equal(o.retries, 2);
	assert_int_equal(o.retry_max_ms, 3000);
	config_add(&c, "upload", "part_size", "12Q", "--x");
	assert_int_equal(upload_opts_load(&o, &c, &err), -EINVAL);
	assert_non_null(strstr(err, "part_size"));
	free(err);
	err = NULL;
	config_release(&c);

	/* A secret from a file others can read is refused, naming it. */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	chmod(path, 0644);
	config_init(&c);
	config_add(&c, "upload", "password", "FAKEPW", path);
	assert_int_equal(upload_opts_load(&o, &c, &err), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "0644"));
	assert_null(strstr(err, "FAKEPW"));
	free(err);
	err = NULL;
	chmod(path, 0600);
	assert_int_equal(upload_opts_load(&o, &c, &err), 0);
	assert_string_equal(o.password, "FAKEPW");
	/* The environment wins over the file. */
	setenv("RDIAG_UPLOAD_PASSWORD", "FROMENV", 1);
	assert_int_equal(upload_opts_load(&o, &c, &err), 0);
	assert_string_equal(o.password, "FROMENV");
	unsetenv("RDIAG_UPLOAD_PASSWORD");
	config_release(&c);
	unlink(path);
	free(path);
}

/* Keys in seconds take any duration; counts stay whole numbers. */
static void test_opts_durations(void **state)
{
	static const struct {
		const char *key, *value;
		int r;
		unsigned connect_s, stall_s, max_delay_ms;
		const char *err;
	} cases[] = {
		{ "connect_timeout", "1m", 0, 60, 60, 60000, NULL },
		{ "connect_timeout", "45", 0, 45, 60, 60000, NULL },
		{ "stall_timeout", "2m30s", 0, 15, 150, 60000, NULL },
		{ "retry_max_delay", "1h", 0, 15, 60, 3600000, NULL },
		{ "stall_timeout", "2h", -EINVAL, 0, 0, 0,
		  "--x: [upload] stall_timeout must be a duration from 1 to "
		  "3600 "
		  "seconds (90s, 15m, 1h30m, 2d), not '2h'" },
		{ "retries", "1m", -EINVAL, 0, 0, 0,
		  "--x: [upload] retries must be a whole number from 0 to 100, "
		  "not "
		  "'1m'" },
		/* *_ms keys read durations too; a bare number is ms */
		{ "retry_delay_ms", "1s", 0, 15, 60, 60000, NULL },
		{ "retry_delay_ms", "1.5s", -EINVAL, 0, 0, 0,
		  "--x: [upload] retry_delay_ms must be a duration from 1 to "
		  "600000 ms (1500, 1500ms, 2s), not '1.5s'" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct upload_opts o;
		struct config c;
		char *err = NULL;

		config_init(&c);
		config_add(&c, "upload", cases[i].key, cases[i].value, "--x");
		assert_int_equal(upload_opts_load(&o, &c, &err), cases[i].r);
		if (cases[i].r == 0) {
			assert_int_equal(o.connect_timeout_s,
					 cases[i].connect_s);
			assert_int_equal(o.stall_timeout_s, cases[i].stall_s);
			assert_int_equal(o.retry_max_ms, cases[i].max_delay_ms);
		} else {
			assert_string_equal(err, cases[i].err);
		}
		free(err);
		config_release(&c);
	}
	{
		struct upload_opts o;
		struct config c;
		char *err = NULL;

		config_init(&c);
		config_add(&c, "upload", "retry_delay_ms", "1s500ms", "--x");
		assert_int_equal(upload_opts_load(&o, &c, &err), 0);
		assert_int_equal(o.retry_base_ms, 1500);
		config_release(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse_ok),
		cmocka_unit_test(test_url_parse_refused),
		cmocka_unit_test(test_url_too_long),
		cmocka_unit_test(test_url_scrub),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_s3_query),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_s3_xml),
		cmocka_unit_test(test_tus_location),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_s3_state_round_trip),
		cmocka_unit_test(test_s3_state_malformed),
		cmocka_unit_test(test_receipt_round_trip),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_opts_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
