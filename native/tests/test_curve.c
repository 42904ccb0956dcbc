/* Key files for the C worker's CURVE (src/curve.c): what it reads, and the clear errors, naming the file,
 * for what it refuses. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>
#include "check.h"
#include "curve.h"

static char dir[] = "/tmp/powerhose-test-curve-XXXXXX";

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char paths[16][512];
    static int next;
    char *path = paths[next++ % 16];
    snprintf(path, 512, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static void test_reads_what_keygen_pyzmq_and_czmq_write(void)
{
    char pub[41], sec[41], got_pub[41], got_sec[41], err[512], text[1024];
    CHECK(zmq_curve_keypair(pub, sec) == 0, "keypair");
    /* czmq's and powerhose-keygen's layout, pyzmq's is the same with its own comment lines */
    snprintf(text, sizeof text, "#   ****  Generated on 2024-01-01 by CZMQ  ****\n#   ZeroMQ CURVE **Secret** "
             "Certificate\n\nmetadata\n    name = \"w1\"\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             pub, sec);
    const char *secret = write_file("w.key_secret", text, 0600);
    snprintf(text, sizeof text, "metadata\ncurve\n    public-key = \"%s\"\n", pub);
    const char *public = write_file("w.key", text, 0644);

    CHECK(ph_curve_load(public, 0, got_pub, got_sec, err, sizeof err) == 0, "%s", err);
    CHECK(strcmp(got_pub, pub) == 0 && got_sec[0] == '\0', "public file: the public key, no secret");
    CHECK(ph_curve_load(secret, 1, got_pub, got_sec, err, sizeof err) == 0, "%s", err);
    CHECK(strcmp(got_pub, pub) == 0 && strcmp(got_sec, sec) == 0, "secret file: both keys");
    CHECK(ph_curve_load(public, 1, got_pub, got_sec, err, sizeof err) == 0, "NAME.key finds NAME.key_secret: %s", err);
    CHECK(strcmp(got_sec, sec) == 0, "the secret key next to it");

    snprintf(text, sizeof text, "curve\r\n\tpublic-key='%s'\r\n", pub);   /* CRLF, a tab, single quotes */
    CHECK(ph_curve_load(write_file("q.key", text, 0644), 0, got_pub, got_sec, err, sizeof err) == 0, "%s", err);
    snprintf(text, sizeof text, "curve\n    public-key = %s\n", pub);     /* no quotes */
    CHECK(ph_curve_load(write_file("u.key", text, 0644), 0, got_pub, got_sec, err, sizeof err) == 0, "%s", err);
    CHECK(strcmp(got_pub, pub) == 0, "unquoted value");
}

static void test_refuses_with_the_file_named(void)
{
    char pub[41], sec[41], other_pub[41], other_sec[41], got_pub[41], got_sec[41], err[512], text[1024];
    zmq_curve_keypair(pub, sec);
    zmq_curve_keypair(other_pub, other_sec);

    snprintf(text, sizeof text, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", pub, sec);
    const char *open_file = write_file("open.key_secret", text, 0644);
    CHECK(ph_curve_load(open_file, 1, got_pub, got_sec, err, sizeof err) == -1, "a secret file readable by others");
    CHECK(strstr(err, open_file) != NULL && strstr(err, "chmod 600") != NULL, "names the file and the fix: %s", err);

    snprintf(text, sizeof text, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", other_pub, sec);
    const char *mixed = write_file("mixed.key_secret", text, 0600);
    CHECK(ph_curve_load(mixed, 1, got_pub, got_sec, err, sizeof err) == -1, "keys of two pairs");
    CHECK(strstr(err, mixed) != NULL && strstr(err, "not the public key") != NULL, "%s", err);

    struct { const char *name; const char *text; const char *says; } bad[] = {
        {"empty.key", "", "no public-key"},
        {"nocurve.key", "metadata\n    public-key = \"x\"\n", "no public-key"},
        {"short.key", "curve\n    public-key = \"abc\"\n", "3 characters"},
        {"notz85.key", "curve\n    public-key = \"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\"\n", "not Z85"},
        {"binary.key", "curve\n    public-key = \"\x01\x02\"\n", "not printable"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path = write_file(bad[i].name, bad[i].text, 0644);
        CHECK(ph_curve_load(path, 0, got_pub, got_sec, err, sizeof err) == -1, "%s refused", bad[i].name);
        CHECK(strstr(err, path) != NULL && strstr(err, bad[i].says) != NULL, "%s: %s", bad[i].name, err);
    }
    snprintf(text, sizeof text, "curve\n    public-key = \"%s\"\n    public-key = \"%s\"\n", pub, pub);
    CHECK(ph_curve_load(write_file("twice.key", text, 0644), 0, got_pub, got_sec, err, sizeof err) == -1, "twice");
    CHECK(strstr(err, "a second public-key") != NULL, "%s", err);

    snprintf(text, sizeof text, "curve\n    public-key = \"%s\"\n", pub);
    const char *alone = write_file("alone.key", text, 0644);
    CHECK(ph_curve_load(alone, 1, got_pub, got_sec, err, sizeof err) == -1, "a public key where a pair is needed");
    CHECK(strstr(err, "alone.key_secret is not there") != NULL, "%s", err);

    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.key", dir);
    CHECK(ph_curve_load(missing, 0, got_pub, got_sec, err, sizeof err) == -1, "missing");
    CHECK(strstr(err, missing) != NULL && strstr(err, "no such key file") != NULL, "%s", err);
}

static void test_setup_refuses_a_key_without_the_server_key(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    ph_curve_t *curve = NULL;
    char err[512];
    CHECK(ph_curve_setup(ctx, dealer, sub, "tcp://127.0.0.1:1", NULL, "w.key_secret", "t", &curve, err,
                         sizeof err) == -1, "--curve-key alone");
    CHECK(strstr(err, "needs --curve-server-key") != NULL, "%s", err);
    CHECK(ph_curve_setup(ctx, dealer, sub, "tcp://127.0.0.1:1", NULL, NULL, "t", &curve, err, sizeof err) == 0,
          "plain: only the monitor");
    zmq_close(sub);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
    ph_curve_free(curve);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_reads_what_keygen_pyzmq_and_czmq_write();
    test_refuses_with_the_file_named();
    test_setup_refuses_a_key_without_the_server_key();
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test-curve");
}
