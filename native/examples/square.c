/* powerhose-worker-square: the job's data is a decimal number; the reply is its square.
 * Integers (optional sign, digits) give the exact integer ("-3" -> "9", also beyond 64 bits);
 * other numbers ("1.5", "2e3") give the shortest text that reads back as the same double
 * ("2.25"); a square beyond the double range answers ERROR "out of range: ...".
 * Anything else answers ERROR "not a number: <data>".
 * Test hook: data exactly "crash" dereferences NULL on purpose (the process dies with
 * SIGSEGV), for the crash-isolation tests of the broker. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "powerhose/worker.h"

/* Squares a decimal integer of n digits exactly (schoolbook multiplication). */
static int square_integer(const char *digits, size_t n, ph_reply_t *out)
{
    while (n > 1 && digits[0] == '0') {     /* "007" -> "7" */
        digits++;
        n--;
    }
    size_t m = 2 * n;
    unsigned *acc = calloc(m, sizeof *acc);
    char *text = malloc(m + 1);
    if (acc == NULL || text == NULL) {
        free(acc);
        free(text);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {        /* acc[k] holds the digit of 10^k */
        unsigned a = (unsigned)(digits[n - 1 - i] - '0');
        unsigned carry = 0;
        for (size_t j = 0; j < n; j++) {
            unsigned v = acc[i + j] + a * (unsigned)(digits[n - 1 - j] - '0') + carry;
            acc[i + j] = v % 10;
            carry = v / 10;
        }
        for (size_t k = i + n; carry; k++) {
            unsigned v = acc[k] + carry;
            acc[k] = v % 10;
            carry = v / 10;
        }
    }
    size_t top = m;
    while (top > 1 && acc[top - 1] == 0)
        top--;
    for (size_t k = 0; k < top; k++)
        text[k] = (char)('0' + acc[top - 1 - k]);
    int rc = ph_reply_set(out, text, top);
    free(acc);
    free(text);
    return rc;
}

static int square(const ph_job_t *job, ph_reply_t *out, void *user)
{
    (void)user;
    const char *s = (const char *)job->data;   /* NUL-terminated by the library */
    size_t n = job->data_len;
    if (n == 5 && memcmp(s, "crash", 5) == 0) {
        volatile int *null = NULL;
        *null = 1;                         /* deliberate segfault: test hook */
    }
    size_t start = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    int integer = n > start && strlen(s) == n;
    for (size_t i = start; integer && i < n; i++)
        integer = isdigit((unsigned char)s[i]);
    if (integer)
        return square_integer(s + start, n - start, out) == 0 ? 0 : -1;

    char *end = NULL;
    errno = 0;
    int decimal = n > 0 && strlen(s) == n && strspn(s, "0123456789+-.eE") == n;
    double v = decimal ? strtod(s, &end) : NAN;   /* no hex, inf, nan or spaces */
    if (end == NULL || *end != '\0' || end == s || !isfinite(v)) {
        ph_reply_printf(out, "not a number: %.*s", (int)(n > 200 ? 200 : n), s);
        return 1;
    }
    double sq = v * v;
    if (!isfinite(sq)) {
        ph_reply_printf(out, "out of range: the square of %.*s overflows a double", (int)(n > 200 ? 200 : n), s);
        return 1;
    }
    char text[64];
    for (int prec = 1; prec <= 17; prec++) {  /* shortest round-tripping text */
        snprintf(text, sizeof text, "%.*g", prec, sq);
        if (strtod(text, NULL) == sq)
            break;
    }
    return ph_reply_set(out, text, strlen(text));
}

int main(int argc, char **argv)
{
    ph_worker_options_t opts;
    int rc = ph_worker_parse_args(argc, argv, &opts);
    if (rc != PH_RUN)
        return rc;
    return ph_worker_run(&opts, square, NULL);
}
