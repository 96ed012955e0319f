/* proto.c and sasl.c: listener protocols, users from the stream, eligibility. */
#include <stdio.h>

#include "unit.h"

static struct proto_ev	ev;

/* A client line, as the relay passes it. */
static void
cl(struct proto *pr, const char *line)
{
	proto_client(pr, line, strlen(line));
	proto_client(pr, "\r\n", 2);
}

/* A server line: the user it names, or NULL; ev keeps the rest. */
static const char *
sv(struct proto *pr, const char *line)
{
	char	buf[1024];

	snprintf(buf, sizeof(buf), "%s\r\n", line);
	proto_server(pr, buf, strlen(buf), &ev);
	return (ev.user);
}

static void
test_split(void **state)
{
	size_t	len;

	(void)state;
	assert_int_equal(proto_split("inet:2121,ftp", &len), PROTO_FTP);
	assert_int_equal(len, 9);
	assert_int_equal(proto_split("inet:2121,FTP", &len), PROTO_FTP);
	assert_int_equal(proto_split("inet:25,smtp", &len), PROTO_SMTP);
	assert_int_equal(proto_split("inet:110,pop3", &len), PROTO_POP3);
	assert_int_equal(proto_split("inet:143,imap", &len), PROTO_IMAP);
	assert_int_equal(proto_split("inet:2121", &len), PROTO_NONE);
	assert_int_equal(len, 9);
	/* A path's comma is not a protocol. */
	assert_int_equal(proto_split("/run/a,b.sock", &len), PROTO_NONE);
	assert_int_equal(len, 13);
	assert_int_equal(proto_split("inet:21,none", &len), PROTO_NONE);
	assert_int_equal(len, 7);
	assert_int_equal(proto_by_name("gopher", 6), -1);
	assert_string_equal(proto_name(PROTO_FTP), "ftp");
	assert_string_equal(proto_name(PROTO_IMAP), "imap");
}

static void
test_sasl(void **state)
{
	char		 d[64];
	const char	*id;
	size_t		 n;

	(void)state;
	assert_int_equal(sasl_b64(d, sizeof(d), "ZGF2ZQ==", 8), 4);
	assert_memory_equal(d, "dave", 4);
	assert_int_equal(sasl_b64(d, sizeof(d), "AGRhdmUAc2VjcmV0", 16), 12);
	assert_memory_equal(d, "\0dave\0secret", 12);
	assert_int_equal(sasl_b64(d, sizeof(d), "ZG*2ZQ==", 8), (size_t)-1);
	assert_int_equal(sasl_b64(d, 2, "ZGF2ZQ==", 8), (size_t)-1);

	assert_int_equal(sasl_mech("plain", 5), SASL_PLAIN);
	assert_int_equal(sasl_mech("CRAM-MD5", 8), SASL_CRAM);
	assert_int_equal(sasl_mech("GSSAPI", 6), SASL_OTHER);
	/* PLAIN: the authentication identity, or the authorization one. */
	assert_true(sasl_identity(SASL_PLAIN, "AGRhdmUAc2VjcmV0", 16, d,
	    sizeof(d), &id, &n));
	assert_int_equal(n, 4);
	assert_memory_equal(id, "dave", 4);
	assert_true(sasl_identity(SASL_PLAIN, "Ym9iAGRhdmUAeA==", 16, d,
	    sizeof(d), &id, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(id, "bob", 3);
	/* Not PLAIN at all: no NUL. */
	assert_false(sasl_identity(SASL_PLAIN, "ZGF2ZQ==", 8, d, sizeof(d),
	    &id, &n));
	assert_true(sasl_identity(SASL_CRAM, "ZGF2ZSBhYmNkZWY=", 16, d,
	    sizeof(d), &id, &n));
	assert_int_equal(n, 4);
	assert_memory_equal(id, "dave", 4);
	assert_false(sasl_identity(SASL_OTHER, "ZGF2ZQ==", 8, d, sizeof(d),
	    &id, &n));
}

static void
test_ftp(void **state)
{
	struct proto	pr;

	(void)state;
	proto_init(&pr, PROTO_FTP);
	assert_null(sv(&pr, "220 ProFTPD Server ready."));	/* greeting */
	assert_true(ev.eligible);
	cl(&pr, "USER dave");
	assert_null(sv(&pr, "331 Password required for dave"));
	assert_false(ev.eligible);				/* 3xx */
	cl(&pr, "PASS secret");
	assert_string_equal(sv(&pr, "230 User dave logged in"), "dave");
	assert_true(ev.eligible);
	cl(&pr, "NOOP");
	assert_null(sv(&pr, "230 again"));			/* once */

	/* A wrong password: nobody. */
	cl(&pr, "user carol");
	assert_null(sv(&pr, "331 Password required"));
	cl(&pr, "PASS wrong");
	assert_null(sv(&pr, "530 Login incorrect."));
	cl(&pr, "NOOP");
	assert_null(sv(&pr, "230 ok"));

	/* Logged in by USER alone. */
	cl(&pr, "USER anonymous");
	assert_string_equal(sv(&pr, "230 Anonymous access granted"),
	    "anonymous");

	/* Names who cannot show are not taken. */
	cl(&pr, "USER a b");
	assert_null(sv(&pr, "230 x"));
	cl(&pr, "USER ");
	assert_null(sv(&pr, "230 x"));
	cl(&pr, "USERX dave");
	assert_null(sv(&pr, "230 x"));
	cl(&pr, "USER 0123456789012345678901234567890123456789012345678901234567890123456789");
	assert_null(sv(&pr, "230 x"));

	/* A transfer: 150 is not the end; 226 answers RETR. */
	cl(&pr, "RETR f");
	sv(&pr, "150 Opening BINARY mode data connection");
	assert_int_equal(ev.code, 150);
	assert_false(ev.eligible);
	sv(&pr, "226 Transfer complete");
	assert_true(ev.eligible);

	/* A multi-line reply ends at its last line; between replies. */
	cl(&pr, "FEAT");
	sv(&pr, "211-Features:");
	assert_int_equal(ev.code, 0);
	assert_false(proto_between(&pr));
	sv(&pr, " MDTM");
	sv(&pr, "211 End");
	assert_int_equal(ev.code, 211);
	assert_true(proto_between(&pr));

	/* AUTH TLS: then the stream is TLS, not lines. */
	cl(&pr, "AUTH TLS");
	sv(&pr, "234 AUTH TLS successful");
	assert_false(ev.eligible);
	assert_true(pr.opaque);
	sv(&pr, "230 looks like a reply");
	assert_int_equal(ev.code, 0);
	assert_false(proto_between(&pr));

	/* Protocol none learns nothing. */
	proto_init(&pr, PROTO_NONE);
	cl(&pr, "USER dave");
	assert_null(sv(&pr, "230 x"));
	assert_true(ev.eligible);
}

static void
test_smtp(void **state)
{
	struct proto	pr;

	(void)state;
	proto_init(&pr, PROTO_SMTP);
	sv(&pr, "220 mx ESMTP");
	cl(&pr, "EHLO client");
	sv(&pr, "250-mx");
	assert_int_equal(ev.code, 0);
	sv(&pr, "250-AUTH PLAIN LOGIN");
	sv(&pr, "250 SIZE 1000");
	assert_int_equal(ev.code, 250);
	assert_false(ev.eligible);		/* EHLO's capabilities */

	/* AUTH PLAIN with its response: \0dave\0secret. */
	cl(&pr, "AUTH PLAIN AGRhdmUAc2VjcmV0");
	assert_string_equal(sv(&pr, "235 2.7.0 Authentication successful"),
	    "dave");
	assert_true(ev.eligible);

	/* Pipelined: each reply answers its own command. */
	cl(&pr, "MAIL FROM:<a@b>");
	cl(&pr, "RCPT TO:<c@d>");
	cl(&pr, "DATA");
	sv(&pr, "250 2.1.0 Ok");
	assert_true(ev.eligible);
	sv(&pr, "250 2.1.5 Ok");
	assert_true(ev.eligible);
	sv(&pr, "354 End data with <CR><LF>.<CR><LF>");
	assert_false(ev.eligible);
	/* The body is not commands. */
	cl(&pr, "AUTH PLAIN AGVyaW4AeA==");
	cl(&pr, "EHLO x");
	cl(&pr, ".");
	assert_null(sv(&pr, "250 2.0.0 Ok: queued as 1234"));
	assert_false(ev.eligible);		/* the DATA's verdict */
	cl(&pr, "QUIT");
	sv(&pr, "221 2.0.0 Bye");
	assert_true(ev.eligible);

	/* AUTH LOGIN: the first response is the user. */
	proto_init(&pr, PROTO_SMTP);
	cl(&pr, "AUTH LOGIN");
	sv(&pr, "334 VXNlcm5hbWU6");
	assert_false(ev.eligible);
	cl(&pr, "ZXJpbg==");			/* erin */
	sv(&pr, "334 UGFzc3dvcmQ6");
	cl(&pr, "ZGF2ZQ==");			/* the password: dave */
	assert_string_equal(sv(&pr, "235 ok"), "erin");

	/* A failed AUTH names nobody; a cancelled one either. */
	cl(&pr, "AUTH PLAIN");
	sv(&pr, "334 ");
	cl(&pr, "AGRhdmUAeA==");
	assert_null(sv(&pr, "535 5.7.8 Error: authentication failed"));
	cl(&pr, "AUTH LOGIN");
	sv(&pr, "334 VXNlcm5hbWU6");
	cl(&pr, "*");
	assert_null(sv(&pr, "501 cancelled"));
	cl(&pr, "NOOP");
	assert_null(sv(&pr, "235 no"));

	/* PLAIN with an authorization identity: that one; CRAM-MD5. */
	cl(&pr, "AUTH PLAIN Ym9iAGRhdmUAeA==");	/* bob\0dave\0x */
	assert_string_equal(sv(&pr, "235 ok"), "bob");
	proto_init(&pr, PROTO_SMTP);
	cl(&pr, "AUTH CRAM-MD5");
	sv(&pr, "334 PDEyMzQ+");
	cl(&pr, "ZGF2ZSBhYmNkZWY=");		/* dave abcdef */
	assert_string_equal(sv(&pr, "235 ok"), "dave");

	/* BDAT's chunk is not commands. */
	cl(&pr, "BDAT 12 LAST");
	proto_client(&pr, "QUIT\r\nQUIT\r\n", 12);
	sv(&pr, "250 ok");
	assert_false(ev.eligible);
	cl(&pr, "NOOP");
	sv(&pr, "250 ok");
	assert_true(ev.eligible);

	/* STARTTLS. */
	cl(&pr, "STARTTLS");
	sv(&pr, "220 2.0.0 Ready to start TLS");
	assert_false(ev.eligible);
	assert_true(pr.opaque);
}

static void
test_pop3(void **state)
{
	struct proto	pr;

	(void)state;
	proto_init(&pr, PROTO_POP3);
	sv(&pr, "+OK <1.2@host>");
	assert_int_equal(ev.code, 200);
	assert_false(ev.eligible);		/* APOP's stamp */
	cl(&pr, "USER dave");
	assert_null(sv(&pr, "+OK"));
	assert_true(ev.eligible);
	cl(&pr, "PASS secret");
	assert_string_equal(sv(&pr, "+OK 2 messages"), "dave");

	/* A multi-line reply: its data is not replies. */
	cl(&pr, "LIST");
	sv(&pr, "+OK 2 messages");
	assert_false(ev.eligible);
	assert_false(proto_between(&pr));
	sv(&pr, "+OK not a reply");
	assert_int_equal(ev.code, 0);
	sv(&pr, ".");
	assert_true(proto_between(&pr));
	cl(&pr, "STAT");
	sv(&pr, "+OK 2 320");
	assert_false(ev.eligible);		/* its text is parsed */
	cl(&pr, "LIST 1");
	sv(&pr, "+OK 1 120");
	assert_false(ev.eligible);
	cl(&pr, "NOOP");
	sv(&pr, "+OK");
	assert_true(ev.eligible);

	/* APOP; a refused USER/PASS. */
	proto_init(&pr, PROTO_POP3);
	cl(&pr, "USER carol");
	sv(&pr, "+OK");
	cl(&pr, "PASS x");
	assert_null(sv(&pr, "-ERR [AUTH] Authentication failed"));
	cl(&pr, "APOP erin c4c9334bac560ecc979e58001b3e22fb");
	assert_string_equal(sv(&pr, "+OK"), "erin");

	/* AUTH PLAIN with a challenge. */
	proto_init(&pr, PROTO_POP3);
	cl(&pr, "AUTH PLAIN");
	sv(&pr, "+ ");
	assert_int_equal(ev.code, 0);
	cl(&pr, "AGRhdmUAc2VjcmV0");
	assert_string_equal(sv(&pr, "+OK Logged in."), "dave");
	cl(&pr, "STLS");
	sv(&pr, "+OK Begin TLS");
	assert_true(pr.opaque);
}

static void
test_imap(void **state)
{
	struct proto	pr;

	(void)state;
	proto_init(&pr, PROTO_IMAP);
	sv(&pr, "* OK IMAP4rev1 ready");
	assert_int_equal(ev.code, 0);
	cl(&pr, "a1 CAPABILITY");
	sv(&pr, "* CAPABILITY IMAP4rev1");
	sv(&pr, "a1 OK done");
	assert_int_equal(ev.code, 200);
	assert_true(ev.eligible);
	cl(&pr, "a2 LOGIN \"dave\" secret");
	assert_null(sv(&pr, "a1 OK wrong tag"));
	assert_string_equal(sv(&pr, "a2 OK LOGIN completed"), "dave");

	/* A literal's lines are not replies. */
	cl(&pr, "a3 FETCH 1 BODY[]");
	sv(&pr, "* 1 FETCH (BODY[] {24}");
	sv(&pr, "a3 OK fake");
	assert_int_equal(ev.code, 0);
	sv(&pr, "a3 NO x)");
	assert_int_equal(ev.code, 0);
	assert_false(proto_between(&pr));
	sv(&pr, ")");
	assert_true(proto_between(&pr));
	sv(&pr, "a3 NO real");
	assert_int_equal(ev.code, 450);

	/* A client literal is not a command: no LOGIN in an APPEND. */
	proto_init(&pr, PROTO_IMAP);
	cl(&pr, "b1 APPEND INBOX {17}");
	proto_client(&pr, "b2 LOGIN erin x\r\n", 17);
	cl(&pr, "");
	assert_null(sv(&pr, "b2 OK"));

	/* AUTHENTICATE PLAIN, with and without an initial response. */
	cl(&pr, "c1 AUTHENTICATE PLAIN");
	sv(&pr, "+ ");
	cl(&pr, "AGRhdmUAc2VjcmV0");
	assert_string_equal(sv(&pr, "c1 OK"), "dave");
	proto_init(&pr, PROTO_IMAP);
	cl(&pr, "c2 AUTHENTICATE PLAIN AGVyaW4AeA==");
	assert_null(sv(&pr, "c2 NO bad"));
	cl(&pr, "c3 LOGIN {4}");
	sv(&pr, "+ go");
	proto_client(&pr, "erin", 4);
	cl(&pr, " x");
	assert_null(sv(&pr, "c3 OK"));		/* a literal user: unknown */
	cl(&pr, "c4 STARTTLS");
	sv(&pr, "c4 OK Begin TLS");
	assert_false(ev.eligible);
	assert_true(pr.opaque);
}

static void
test_format(void **state)
{
	struct proto	pr;
	char		b[64];

	(void)state;
	proto_init(&pr, PROTO_FTP);
	assert_int_equal(proto_format(&pr, b, sizeof(b), 226, "hi\r", 3,
	    "\r\n"), 8);
	assert_string_equal(b, "226-hi\r\n");
	assert_int_equal(proto_bye(&pr, b, sizeof(b), "bye"), 9);
	assert_string_equal(b, "421 bye\r\n");
	proto_init(&pr, PROTO_IMAP);
	proto_format(&pr, b, sizeof(b), 200, "hi", 2, "\r\n");
	assert_string_equal(b, "* OK [ALERT] hi\r\n");
	proto_bye(&pr, b, sizeof(b), "bye\n");
	assert_string_equal(b, "* BYE bye\r\n");
	proto_init(&pr, PROTO_POP3);
	assert_int_equal(proto_format(&pr, b, sizeof(b), 200, "hi", 2, ""), 5);
	assert_string_equal(b, " [hi]");
	assert_int_equal(proto_format(&pr, b, 6, 200, "hello", 5, ""), 5);
	assert_string_equal(b, " [he]");
	proto_bye(&pr, b, sizeof(b), "bye");
	assert_string_equal(b, "-ERR bye\r\n");
	proto_init(&pr, PROTO_NONE);
	assert_int_equal(proto_bye(&pr, b, sizeof(b), "bye"), 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_sasl),
		cmocka_unit_test(test_ftp),
		cmocka_unit_test(test_smtp),
		cmocka_unit_test(test_pop3),
		cmocka_unit_test(test_imap),
		cmocka_unit_test(test_format),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
