/* Job payload parse/serialize (docs/PROTOCOL.md "The job payload"), replies. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "powerhose/worker.h"

typedef struct {
    const char *payload;
    size_t header_count;
    const char *names[3];
    const char *values[3];
    const char *data;
} example_t;

/* The examples table of PROTOCOL.md, plus a few more. */
static const example_t examples[] = {
    {"NONE:::4*2", 0, {0}, {0}, "4*2"},
    {"h1:v1::h2:v2:::hello", 2, {"h1", "h2"}, {"v1", "v2"}, "hello"},
    {"a\\:b:c\\\\:::x", 1, {"a:b"}, {"c\\"}, "x"},
    {"k:\\0:::", 1, {"k"}, {""}, ""},
    {"\\NONE:x:::", 1, {"NONE"}, {"x"}, ""},
    {"\\0:\\0:::data", 1, {""}, {""}, "data"},
    {"k:v\\::::::x", 1, {"k"}, {"v:"}, "::x"},
    {"k:v::::x", 1, {"k"}, {"v"}, ":x"},
    {"NONE:::", 0, {0}, {0}, ""},
    {"NONE::::::", 0, {0}, {0}, ":::"},
    {"a:\\00:::", 1, {"a"}, {"00"}, ""},
};

static void test_examples(void)
{
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        const example_t *e = &examples[i];
        ph_job_t job;
        char err[200] = "";
        int rc = ph_job_parse((const unsigned char *)e->payload, strlen(e->payload), &job, err, sizeof err);
        CHECK(rc == 0, "example %s: %s", e->payload, err);
        if (rc != 0)
            continue;
        CHECK(job.header_count == e->header_count, "example %s: %zu headers", e->payload, job.header_count);
        for (size_t h = 0; h < job.header_count && h < e->header_count; h++) {
            CHECK(strcmp(job.headers[h].name, e->names[h]) == 0, "%s: name %s", e->payload, job.headers[h].name);
            CHECK(strcmp(job.headers[h].value, e->values[h]) == 0, "%s: value %s", e->payload, job.headers[h].value);
        }
        CHECK(job.data_len == strlen(e->data) && memcmp(job.data, e->data, job.data_len) == 0,
              "example %s: data", e->payload);
        CHECK(job.data[job.data_len] == 0, "data is NUL-terminated");
        ph_job_free(&job);
    }
    /* serialize gives the table's payloads (the first four rows are canonical) */
    ph_header_t h2[] = {{"h1", "v1"}, {"h2", "v2"}};
    ph_header_t h3[] = {{"a:b", "c\\"}};
    ph_header_t h4[] = {{"k", ""}};
    struct { ph_header_t *h; size_t n; const char *data; const char *want; } ser[] = {
        {NULL, 0, "4*2", "NONE:::4*2"},
        {h2, 2, "hello", "h1:v1::h2:v2:::hello"},
        {h3, 1, "x", "a\\:b:c\\\\:::x"},
        {h4, 1, "", "k:\\0:::"},
    };
    for (size_t i = 0; i < 4; i++) {
        unsigned char *out;
        size_t len;
        CHECK(ph_job_serialize(ser[i].h, ser[i].n, ser[i].data, strlen(ser[i].data), &out, &len) == 0, "serialize");
        CHECK(len == strlen(ser[i].want) && memcmp(out, ser[i].want, len) == 0,
              "serialize: got %.*s want %s", (int)len, out, ser[i].want);
        free(out);
    }
    /* header lookup */
    ph_job_t job;
    ph_job_parse((const unsigned char *)"a:1::b:2:::", 11, &job, NULL, 0);
    CHECK(ph_job_header(&job, "b") && strcmp(ph_job_header(&job, "b"), "2") == 0, "header b");
    CHECK(ph_job_header(&job, "zz") == NULL, "missing header");
    ph_job_free(&job);
    ph_job_free(&job);   /* twice is harmless */
}

/* A repeated name: the last value wins, at the name's first place, as the Java Job (LinkedHashMap.put). */
static void test_repeated_header_keeps_last_value(void)
{
    static const struct {
        const char *payload;
        size_t header_count;
        const char *names[3];
        const char *values[3];
        const char *data;
    } cases[] = {
        {"a:1::b:2::a:3:::d", 2, {"a", "b"}, {"3", "2"}, "d"},
        {"a:1::a:2::a:3:::", 1, {"a"}, {"3"}, ""},
        {"rounds:5::rounds:\\0:::x", 1, {"rounds"}, {""}, "x"},
        {"a\\:b:1::x:y::a\\:b:2::z:w:::", 3, {"a:b", "x", "z"}, {"2", "y", "w"}, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ph_job_t job;
        char err[200] = "";
        int rc = ph_job_parse((const unsigned char *)cases[i].payload, strlen(cases[i].payload), &job, err,
                              sizeof err);
        CHECK(rc == 0, "repeated %s: %s", cases[i].payload, err);
        if (rc != 0)
            continue;
        CHECK(job.header_count == cases[i].header_count, "repeated %s: %zu headers", cases[i].payload,
              job.header_count);
        for (size_t h = 0; h < job.header_count && h < cases[i].header_count; h++) {
            CHECK(strcmp(job.headers[h].name, cases[i].names[h]) == 0, "repeated %s: name #%zu %s",
                  cases[i].payload, h, job.headers[h].name);
            CHECK(strcmp(job.headers[h].value, cases[i].values[h]) == 0, "repeated %s: value #%zu %s",
                  cases[i].payload, h, job.headers[h].value);
        }
        const char *first = cases[i].names[0];
        CHECK(ph_job_header(&job, first) && strcmp(ph_job_header(&job, first), cases[i].values[0]) == 0,
              "repeated %s: lookup of %s", cases[i].payload, first);
        CHECK(job.data_len == strlen(cases[i].data) && memcmp(job.data, cases[i].data, job.data_len) == 0,
              "repeated %s: data", cases[i].payload);
        ph_job_free(&job);
    }
}

static void test_malformed(void)
{
    static const struct { const char *payload; size_t len; } bad[] = {
        {"", 0},                    /* empty */
        {"hello", 5},               /* missing ::: */
        {"NONE", 4},                /* truncated NONE */
        {"NONE::", 6},
        {"k:v:x", 5},               /* run of one colon */
        {"k:v:", 4},
        {"k:v::", 5},               /* ends after '::' */
        {"k:v::k2", 7},             /* ends inside a name */
        {"k:v::k2:", 8},            /* ends before a value */
        {"k", 1},
        {"k:", 2},
        {"k:v", 3},                 /* ends inside a value */
        {"k:v\\", 4},               /* trailing backslash */
        {"k\\", 2},
        {"k:v\\:::", 7},            /* '\:' then only '::' */
        {"k\0x:v:::d", 9},          /* NUL in a name */
        {"k:v\\\0:::d", 9},         /* escaped NUL in a value */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ph_job_t job;
        char err[200] = "";
        int rc = ph_job_parse((const unsigned char *)bad[i].payload, bad[i].len, &job, err, sizeof err);
        CHECK(rc == -1, "malformed #%zu accepted", i);
        CHECK(strncmp(err, "malformed job: ", 15) == 0, "malformed #%zu: error text '%s'", i, err);
        CHECK(job.headers == NULL && job.data == NULL, "malformed #%zu leaves an empty job", i);
        ph_job_free(&job);
    }
    /* every prefix of a valid payload either parses or fails cleanly */
    const char *p = "a\\:b:c\\\\::\\NONE:\\0::x:y:::data";
    for (size_t n = 0; n <= strlen(p); n++) {
        ph_job_t job;
        if (ph_job_parse((const unsigned char *)p, n, &job, NULL, 0) == 0)
            ph_job_free(&job);
    }
}

/* ---- random round trips */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static char *random_text(void)
{
    static const char *const pieces[] = {"a", "b", ":", "::", ":::", "\\", "\\0", "0", "NONE", "é",
                                         "日本", "\xf0\x9f\x98\x80", " ", "x-y", "\\\\", "\\:"};
    static const char *const whole[] = {"", "NONE", "0", "\\", ":", "\\0", "NONE:::", "v:", "v\\"};
    if (rnd(4) == 0)
        return strdup(whole[rnd(sizeof whole / sizeof whole[0])]);
    size_t n = rnd(6);
    char *s = calloc(1, 64);
    for (size_t i = 0; i < n; i++)
        strcat(s, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
    if (rnd(5) == 0)
        strcat(s, rnd(2) ? ":" : "\\");     /* values ending in ':' or '\' */
    return s;
}

static void test_round_trips(void)
{
    int failures_before = check_failures;
    for (int iter = 0; iter < 5000 && check_failures - failures_before < 5; iter++) {
        size_t n = rnd(5);
        ph_header_t *h = calloc(n ? n : 1, sizeof *h);
        for (size_t i = 0; i < n; i++) {
            h[i].name = random_text();
            h[i].value = random_text();
        }
        size_t dlen = rnd(40);
        unsigned char *data = malloc(dlen + 1);
        for (size_t i = 0; i < dlen; i++) {
            static const unsigned char alphabet[] = {':', ':', ':', 0, '\\', 'N', 'O', 'E', 'a', 0xff, 0x80};
            data[i] = rnd(3) ? alphabet[rnd(sizeof alphabet)] : (unsigned char)rnd(256);
        }
        unsigned char *payload;
        size_t plen;
        CHECK(ph_job_serialize(h, n, data, dlen, &payload, &plen) == 0, "serialize");
        ph_job_t job;
        char err[200] = "";
        int rc = ph_job_parse(payload, plen, &job, err, sizeof err);
        CHECK(rc == 0, "round trip %d: parse failed: %s (payload %.*s)", iter, err, (int)plen, payload);
        if (rc == 0) {
            /* what the parser should give: the distinct names in first-seen order, each with its
             * last value (random names repeat now and then) */
            ph_header_t *want = calloc(n ? n : 1, sizeof *want);
            size_t nwant = 0;
            for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                while (k < nwant && strcmp(want[k].name, h[i].name) != 0)
                    k++;
                if (k == nwant)
                    want[nwant++].name = h[i].name;
                want[k].value = h[i].value;
            }
            CHECK(job.header_count == nwant, "round trip %d: %zu headers, want %zu", iter, job.header_count, nwant);
            for (size_t i = 0; i < nwant && i < job.header_count; i++) {
                CHECK(strcmp(job.headers[i].name, want[i].name) == 0, "round trip %d: name '%s' != '%s'",
                      iter, job.headers[i].name, want[i].name);
                CHECK(strcmp(job.headers[i].value, want[i].value) == 0, "round trip %d: value '%s' != '%s'",
                      iter, job.headers[i].value, want[i].value);
            }
            free(want);
            CHECK(job.data_len == dlen && (dlen == 0 || memcmp(job.data, data, dlen) == 0),
                  "round trip %d: data", iter);
            ph_job_free(&job);
        }
        /* a truncated payload never crashes */
        if (plen > 0) {
            if (ph_job_parse(payload, rnd((unsigned)plen), &job, NULL, 0) == 0)
                ph_job_free(&job);
        }
        free(payload);
        free(data);
        for (size_t i = 0; i < n; i++) {
            free((void *)h[i].name);
            free((void *)h[i].value);
        }
        free(h);
    }
}

/* ---- the shared vectors, docs/job-vectors.tsv (the Java and Python parsers run the same file) */

/* Decodes a field of the file in place: as written, except %XX is that byte. Returns its length. */
static size_t unescape_field(char *field)
{
    size_t n = 0;
    for (size_t i = 0; field[i]; i++) {
        if (field[i] == '%' && field[i + 1] && field[i + 2]) {
            char hex[3] = {field[i + 1], field[i + 2], 0};
            field[n++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            field[n++] = field[i];
        }
    }
    return n;
}

static void test_shared_vectors(void)
{
    const char *path = getenv("PH_JOB_VECTORS") ? getenv("PH_JOB_VECTORS") : "../docs/job-vectors.tsv";
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (f == NULL)
        return;
    char line[4096];
    int number = 0, vectors = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        number++;
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 0 || line[0] == '#')
            continue;
        vectors++;
        char *fields[32];
        size_t lens[32];
        int count = 0;
        for (char *p = line; count < 32;) {
            char *tab = strchr(p, '\t');
            if (tab)
                *tab = 0;
            fields[count] = p;
            lens[count] = unescape_field(p);
            count++;
            if (!tab)
                break;
            p = tab + 1;
        }
        CHECK(count >= 2, "%s:%d: fewer than 2 fields", path, number);
        if (count < 2)
            continue;
        int ok = strcmp(fields[0], "ok") == 0;
        ph_job_t job;
        char err[200] = "";
        int rc = ph_job_parse((const unsigned char *)fields[1], lens[1], &job, err, sizeof err);
        if (!ok) {
            CHECK(rc == -1, "%s:%d: accepted a bad payload", path, number);
            CHECK(rc == 0 || strncmp(err, "malformed job: ", 15) == 0, "%s:%d: error '%s'", path, number, err);
            if (rc == 0)
                ph_job_free(&job);
            continue;
        }
        CHECK(rc == 0, "%s:%d: refused: %s", path, number, err);
        if (rc != 0)
            continue;
        size_t want = (size_t)(count - 3) / 2;
        CHECK(count >= 3 && (count - 3) % 2 == 0, "%s:%d: odd name/value fields", path, number);
        CHECK(job.header_count == want, "%s:%d: %zu headers, want %zu", path, number, job.header_count, want);
        for (size_t h = 0; h < job.header_count && h < want; h++) {
            const char *name = fields[3 + 2 * h], *value = fields[4 + 2 * h];
            CHECK(strlen(job.headers[h].name) == lens[3 + 2 * h]
                  && memcmp(job.headers[h].name, name, lens[3 + 2 * h]) == 0,
                  "%s:%d: name #%zu '%s'", path, number, h, job.headers[h].name);
            CHECK(strlen(job.headers[h].value) == lens[4 + 2 * h]
                  && memcmp(job.headers[h].value, value, lens[4 + 2 * h]) == 0,
                  "%s:%d: value #%zu '%s'", path, number, h, job.headers[h].value);
        }
        CHECK(job.data_len == lens[2] && memcmp(job.data, fields[2], lens[2]) == 0, "%s:%d: data", path, number);
        ph_job_free(&job);
    }
    fclose(f);
    CHECK(vectors >= 40, "%s: only %d vectors", path, vectors);
}

static void test_reply(void)
{
    ph_reply_t r = {NULL, 0, 0};
    CHECK(ph_reply_set(&r, "abc", 3) == 0 && r.len == 3, "set");
    CHECK(ph_reply_append(&r, "def", 3) == 0 && r.len == 6 && memcmp(r.data, "abcdef", 6) == 0, "append");
    char big[1000];
    memset(big, 'z', sizeof big);
    CHECK(ph_reply_append(&r, big, sizeof big) == 0 && r.len == 1006, "append big");
    CHECK(ph_reply_printf(&r, "x=%d %s", 42, "y") == 0 && r.len == 6 && memcmp(r.data, "x=42 y", 6) == 0, "printf");
    CHECK(ph_reply_set(&r, "", 0) == 0 && r.len == 0, "set empty");
    free(r.data);
}

int main(void)
{
    test_examples();
    test_repeated_header_keeps_last_value();
    test_malformed();
    test_shared_vectors();
    test_round_trips();
    test_reply();
    return check_summary("test-job");
}
