/* --params and command line parsing. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "powerhose/worker.h"

static void test_params(void)
{
    ph_params_t p;
    char err[200];
    CHECK(ph_params_parse("rounds:3|mode:fast", &p, err, sizeof err) == 0, "%s", err);
    CHECK(p.count == 2, "two params");
    CHECK(strcmp(ph_params_get(&p, "rounds"), "3") == 0, "rounds");
    CHECK(strcmp(ph_params_get(&p, "mode"), "fast") == 0, "mode");
    CHECK(ph_params_get(&p, "x") == NULL, "missing");
    ph_params_free(&p);

    CHECK(ph_params_parse("url:http://h:80/x||a:|b:1|b:2|", &p, err, sizeof err) == 0, "%s", err);
    CHECK(p.count == 4, "4 items, empty ones skipped: %zu", p.count);
    CHECK(strcmp(ph_params_get(&p, "url"), "http://h:80/x") == 0, "value keeps ':'");
    CHECK(strcmp(ph_params_get(&p, "a"), "") == 0, "empty value");
    CHECK(strcmp(ph_params_get(&p, "b"), "2") == 0, "last wins");
    ph_params_free(&p);

    CHECK(ph_params_parse("", &p, err, sizeof err) == 0 && p.count == 0, "empty");
    ph_params_free(&p);
    CHECK(ph_params_parse(NULL, &p, err, sizeof err) == 0 && p.count == 0, "NULL");
    CHECK(ph_params_parse("a:1|novalue", &p, err, sizeof err) == -1, "item without ':'");
    CHECK(strstr(err, "novalue") != NULL, "error names the item: %s", err);
    CHECK(ph_params_parse(":x", &p, err, sizeof err) == -1, "empty key");
}

static int parse(ph_worker_options_t *o, int argc, const char **argv)
{
    return ph_worker_parse_args(argc, (char **)argv, o);
}

static void test_args(void)
{
    ph_worker_options_t o;
    const char *none[] = {"/usr/bin/w"};
    CHECK(parse(&o, 1, none) == PH_RUN, "no args");
    CHECK(strcmp(o.name, "w") == 0, "name from argv[0]");
    CHECK(strcmp(o.backend, "ipc:///tmp/powerhose-back.ipc") == 0, "default backend");
    CHECK(strcmp(o.heartbeat, "ipc:///tmp/powerhose-beat.ipc") == 0, "default heartbeat");
    CHECK(o.timeout_s == 7.5 && o.max_age_s == -1 && o.max_age_delta_s == 0, "defaults");
    CHECK(o.ping_delay_s == 10 && o.ping_retries == 3 && o.heartbeat_interval_s == 1, "beat defaults");
    CHECK(o.max_job_bytes == 16u * 1024 * 1024 && o.params == NULL && !o.debug, "more defaults");
    CHECK(o.prefetch == 32, "default prefetch 32, not %d", o.prefetch);
    const char *pf[] = {"w", "--prefetch", "1024"};
    CHECK(parse(&o, 3, pf) == PH_RUN && o.prefetch == 1024, "--prefetch 1024");
    const char *pf0[] = {"w", "--prefetch=0"};
    CHECK(parse(&o, 2, pf0) == PH_RUN && o.prefetch == 0, "--prefetch=0");
    CHECK(o.parent_pid == 0, "no parent watch by default (the environment may still name one)");
    const char *pp[] = {"w", "--parent-pid", "4242"};
    CHECK(parse(&o, 3, pp) == PH_RUN && o.parent_pid == 4242, "--parent-pid 4242");
    CHECK(o.curve_server_key == NULL && o.curve_key == NULL, "no CURVE by default");
    const char *curve[] = {"w", "--curve-server-key", "keys/broker.key", "--curve-key=keys/w.key_secret"};
    CHECK(parse(&o, 4, curve) == PH_RUN, "--curve-server-key, --curve-key");
    CHECK(strcmp(o.curve_server_key, "keys/broker.key") == 0 && strcmp(o.curve_key, "keys/w.key_secret") == 0,
          "the key files, read when the worker starts");
    const char *nokey[] = {"w", "--curve-key"};
    CHECK(parse(&o, 2, nokey) == PH_EXIT_USAGE, "--curve-key needs a value");
    const char *ppbad[] = {"w", "--parent-pid=-3"};
    CHECK(parse(&o, 2, ppbad) == PH_EXIT_CONFIG, "--parent-pid -3 is a configuration error");

    const char *all[] = {"w", "--backend", "tcp://127.0.0.1:5000", "--heartbeat=tcp://127.0.0.1:5001",
                         "--timeout", "2.5", "--max-age=60", "--max-age-delta", "10",
                         "--params", "rounds:3|a:b", "--debug", "--ping-delay", "0.5",
                         "--ping-retries=5", "--heartbeat-interval", "0.25"};
    CHECK(parse(&o, 17, all) == PH_RUN, "all options");
    CHECK(o.ping_delay_s == 0.5 && o.ping_retries == 5 && o.heartbeat_interval_s == 0.25, "beat options");
    CHECK(strcmp(o.backend, "tcp://127.0.0.1:5000") == 0, "backend");
    CHECK(strcmp(o.heartbeat, "tcp://127.0.0.1:5001") == 0, "heartbeat");
    CHECK(o.timeout_s == 2.5 && o.max_age_s == 60 && o.max_age_delta_s == 10, "numbers");
    CHECK(strcmp(o.params, "rounds:3|a:b") == 0 && o.debug == 1, "params, debug");

    fprintf(stderr, "(the usage errors below are expected)\n");
    const char *unknown[] = {"w", "--bakend", "x"};
    CHECK(parse(&o, 3, unknown) == PH_EXIT_USAGE, "unknown option");
    const char *stray[] = {"w", "stray"};
    CHECK(parse(&o, 2, stray) == PH_EXIT_USAGE, "stray argument");
    const char *missing[] = {"w", "--timeout"};
    CHECK(parse(&o, 2, missing) == PH_EXIT_USAGE, "missing value");
    const char *notnum[] = {"w", "--timeout", "soon"};
    CHECK(parse(&o, 3, notnum) == PH_EXIT_CONFIG, "not a number");
    const char *zero[] = {"w", "--timeout", "0"};
    CHECK(parse(&o, 3, zero) == PH_EXIT_CONFIG, "zero timeout");
    const char *negdelta[] = {"w", "--max-age-delta=-1"};
    CHECK(parse(&o, 2, negdelta) == PH_EXIT_CONFIG, "negative delta");
    const char *badparams[] = {"w", "--params", "nocolon"};
    CHECK(parse(&o, 3, badparams) == PH_EXIT_CONFIG, "bad params");
    const char *help[] = {"w", "--help"};
    CHECK(parse(&o, 2, help) == PH_EXIT_OK, "help");
    const char *pfbig[] = {"w", "--prefetch", "1025"};
    CHECK(parse(&o, 3, pfbig) == PH_EXIT_CONFIG, "prefetch above 1024");
    const char *pfneg[] = {"w", "--prefetch=-1"};
    CHECK(parse(&o, 2, pfneg) == PH_EXIT_CONFIG, "negative prefetch");
    const char *pffrac[] = {"w", "--prefetch", "0.5"};
    CHECK(parse(&o, 3, pffrac) == PH_EXIT_CONFIG, "fractional prefetch");
    const char *pfword[] = {"w", "--prefetch", "some"};
    CHECK(parse(&o, 3, pfword) == PH_EXIT_CONFIG, "prefetch not a number");
    const char *retries[] = {"w", "--ping-retries", "1.5"};
    CHECK(parse(&o, 3, retries) == PH_EXIT_CONFIG, "fractional retries");
}

int main(void)
{
    test_params();
    test_args();
    return check_summary("test-options");
}
