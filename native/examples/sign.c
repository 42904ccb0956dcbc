/* powerhose-worker-sign: a CPU-bound HMAC-SHA256 loop (docs/WORKERS.md, "sign"), the same
 * algorithm as the Java io.powerhose.examples.Sign:
 *   key   = 4096 bytes, key[i] = (i * 31 + 7) & 0xff
 *   msg   = the job's data
 *   repeat rounds times: msg = HMAC-SHA256(key, msg)      (32 bytes)
 *   reply = lowercase hex of the final 32 bytes (64 characters)
 * rounds = job header "rounds", else worker param "rounds", else 400 (a decimal integer
 * >= 0; 0 replies the hex of the data itself, as the Java Sign does; anything else answers
 * ERROR "ValueError: bad rounds: ..."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "powerhose/worker.h"

#define KEY_LEN 4096
#define DEFAULT_ROUNDS 400

static unsigned char g_key[KEY_LEN];

static int parse_rounds(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || v < 0 || v > 1000000000L)
        return -1;
    *out = v;
    return 0;
}

static int sign(const ph_job_t *job, ph_reply_t *out, void *user)
{
    (void)user;
    long rounds = DEFAULT_ROUNDS;
    const char *r = ph_job_header(job, "rounds");
    if (r == NULL)
        r = ph_job_param(job, "rounds");
    if (r != NULL && parse_rounds(r, &rounds) != 0) {
        ph_reply_printf(out, "ValueError: bad rounds: %s", r);
        return 1;
    }
    unsigned char md[EVP_MAX_MD_SIZE], prev[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const unsigned char *msg = job->data;
    size_t msglen = job->data_len;
    for (long i = 0; i < rounds; i++) {
        if (HMAC(EVP_sha256(), g_key, KEY_LEN, msg, msglen, md, &mdlen) == NULL) {
            ph_reply_printf(out, "CryptoError: HMAC failed");
            return 1;
        }
        memcpy(prev, md, mdlen);           /* the next round signs this round's digest */
        msg = prev;
        msglen = mdlen;
    }
    static const char digits[] = "0123456789abcdef";
    out->len = 0;
    for (size_t i = 0; i < msglen; i++) {
        char pair[2] = {digits[msg[i] >> 4], digits[msg[i] & 15]};
        if (ph_reply_append(out, pair, 2) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 0; i < KEY_LEN; i++)
        g_key[i] = (unsigned char)((i * 31 + 7) & 0xff);
    ph_worker_options_t opts;
    int rc = ph_worker_parse_args(argc, argv, &opts);
    if (rc != PH_RUN)
        return rc;
    return ph_worker_run(&opts, sign, NULL);
}
