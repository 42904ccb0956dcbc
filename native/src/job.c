/* Job payloads, params and replies: see powerhose/worker.h and docs/PROTOCOL.md. */
#define _POSIX_C_SOURCE 200809L
#include "powerhose/worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void free_pairs(ph_header_t *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free((void *)items[i].name);
        free((void *)items[i].value);
    }
    free(items);
}

/* Appends a pair (taking ownership of name and value) to *items. */
static int push_pair(ph_header_t **items, size_t *count, size_t *cap, char *name, char *value)
{
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        ph_header_t *n = realloc(*items, ncap * sizeof *n);
        if (n == NULL) {
            free(name);
            free(value);
            return -1;
        }
        *items = n;
        *cap = ncap;
    }
    (*items)[*count].name = name;
    (*items)[*count].value = value;
    (*count)++;
    return 0;
}

/* ---------------------------------------------------------------- params */

int ph_params_parse(const char *text, ph_params_t *out, char *err, size_t errlen)
{
    out->items = NULL;
    out->count = 0;
    if (text == NULL)
        return 0;
    size_t cap = 0;
    const char *p = text;
    while (1) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0) {
            const char *colon = memchr(p, ':', n);
            if (colon == NULL || colon == p) {
                set_err(err, errlen, "bad param '%.*s': expected key:value with a non-empty key",
                        (int)n, p);
                ph_params_free(out);
                return -1;
            }
            char *key = strndup(p, (size_t)(colon - p));
            char *value = strndup(colon + 1, n - (size_t)(colon - p) - 1);
            if (key == NULL || value == NULL) {
                free(key);
                free(value);
                set_err(err, errlen, "out of memory");
                ph_params_free(out);
                return -1;
            }
            if (push_pair(&out->items, &out->count, &cap, key, value) != 0) {
                set_err(err, errlen, "out of memory");
                ph_params_free(out);
                return -1;
            }
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 0;
}

const char *ph_params_get(const ph_params_t *params, const char *key)
{
    if (params == NULL)
        return NULL;
    for (size_t i = params->count; i-- > 0;)
        if (strcmp(params->items[i].name, key) == 0)
            return params->items[i].value;
    return NULL;
}

void ph_params_free(ph_params_t *params)
{
    free_pairs(params->items, params->count);
    params->items = NULL;
    params->count = 0;
}

/* ---------------------------------------------------------------- job payload */

/* 1 when s[0..n) is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF;   /* the allowed range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;                    /* overlong */
            else if (c == 0xED)
                hi = 0x9F;                    /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;                    /* overlong */
            else if (c == 0xF4)
                hi = 0x8F;                    /* above U+10FFFF */
        } else {
            return 0;                         /* a continuation byte, C0, C1, F5..FF */
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return 0;
        i += len;
    }
    return 1;
}

/* Reads one escaped token from p[*pos..len) up to the next unescaped ':' (left unread).
 * Returns a malloc'd unescaped string, or NULL with err set. */
static char *read_token(const unsigned char *p, size_t len, size_t *pos, const char *what,
                        char *err, size_t errlen)
{
    size_t start = *pos, i = *pos;
    char *buf = malloc(len - start + 1);   /* unescaped is never longer */
    if (buf == NULL) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (i < len && p[i] != ':') {
        unsigned char c = p[i];
        if (c == '\\') {
            if (i + 1 >= len) {
                set_err(err, errlen, "malformed job: backslash at the end of the headers");
                free(buf);
                return NULL;
            }
            c = p[i + 1];
            i += 2;
        } else {
            i++;
        }
        if (c == 0) {
            set_err(err, errlen, "malformed job: NUL byte in a header %s", what);
            free(buf);
            return NULL;
        }
        buf[n++] = (char)c;
    }
    if (i >= len) {
        set_err(err, errlen, "malformed job: payload ends inside the headers (no ':::')");
        free(buf);
        return NULL;
    }
    /* "\0" standing alone is the empty string */
    if (i - start == 2 && p[start] == '\\' && p[start + 1] == '0')
        n = 0;
    if (!utf8_valid((const unsigned char *)buf, n)) {
        set_err(err, errlen, "malformed job: a header %s is not valid UTF-8", what);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *pos = i;
    return buf;
}

static int set_data(ph_job_t *job, const unsigned char *data, size_t len, char *err, size_t errlen)
{
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = 0;
    job->data = copy;
    job->data_len = len;
    return 0;
}

int ph_job_parse(const unsigned char *payload, size_t len, ph_job_t *job, char *err, size_t errlen)
{
    memset(job, 0, sizeof *job);
    job->budget_ms = -1;
    if (len >= 7 && memcmp(payload, "NONE:::", 7) == 0)
        return set_data(job, payload + 7, len - 7, err, errlen);

    size_t pos = 0, cap = 0;
    while (1) {
        char *name = read_token(payload, len, &pos, "name", err, errlen);
        if (name == NULL)
            goto fail;
        pos++;   /* the one ':' after the name */
        char *value = read_token(payload, len, &pos, "value", err, errlen);
        if (value == NULL) {
            free(name);
            goto fail;
        }
        /* A repeated name: the last value wins, at the name's first place (as the Java Job's
         * LinkedHashMap.put). */
        ph_header_t *same = NULL;
        for (size_t h = 0; h < job->header_count && same == NULL; h++)
            if (strcmp(job->headers[h].name, name) == 0)
                same = &job->headers[h];
        if (same != NULL) {
            free(name);
            free((void *)same->value);
            same->value = value;
        } else if (push_pair(&job->headers, &job->header_count, &cap, name, value) != 0) {
            set_err(err, errlen, "out of memory");
            goto fail;
        }
        size_t run = 0;
        while (pos + run < len && payload[pos + run] == ':')
            run++;
        if (run == 1) {
            set_err(err, errlen, "malformed job: single ':' after a header value at byte %zu", pos);
            goto fail;
        }
        if (run == 2) {
            pos += 2;
            if (pos >= len) {
                set_err(err, errlen, "malformed job: payload ends inside the headers (no ':::')");
                goto fail;
            }
            continue;
        }
        /* run >= 3: the first three colons end the headers */
        pos += 3;
        if (set_data(job, payload + pos, len - pos, err, errlen) != 0)
            goto fail;
        return 0;
    }
fail:
    ph_job_free(job);
    return -1;
}

void ph_job_free(ph_job_t *job)
{
    free_pairs(job->headers, job->header_count);
    free((void *)job->data);
    job->headers = NULL;
    job->header_count = 0;
    job->data = NULL;
    job->data_len = 0;
}

/* Escaped length of s; writes it to out when out is not NULL. */
static size_t escape(const char *s, int is_name, unsigned char *out)
{
    if (s[0] == '\0') {
        if (out) memcpy(out, "\\0", 2);
        return 2;
    }
    if (is_name && strcmp(s, "NONE") == 0) {
        if (out) memcpy(out, "\\NONE", 5);
        return 5;
    }
    size_t n = 0;
    for (; *s; s++) {
        if (*s == '\\' || *s == ':') {
            if (out) out[n] = '\\';
            n++;
        }
        if (out) out[n] = (unsigned char)*s;
        n++;
    }
    return n;
}

int ph_job_serialize(const ph_header_t *headers, size_t header_count,
                     const void *data, size_t data_len,
                     unsigned char **out, size_t *outlen)
{
    size_t n = 0;
    if (header_count == 0) {
        n = 4;
    } else {
        for (size_t i = 0; i < header_count; i++)
            n += escape(headers[i].name, 1, NULL) + 1 + escape(headers[i].value, 0, NULL)
                 + (i + 1 < header_count ? 2 : 0);
    }
    n += 3 + data_len;
    unsigned char *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return -1;
    size_t k = 0;
    if (header_count == 0) {
        memcpy(buf, "NONE", 4);
        k = 4;
    } else {
        for (size_t i = 0; i < header_count; i++) {
            k += escape(headers[i].name, 1, buf + k);
            buf[k++] = ':';
            k += escape(headers[i].value, 0, buf + k);
            if (i + 1 < header_count) {
                buf[k++] = ':';
                buf[k++] = ':';
            }
        }
    }
    memcpy(buf + k, ":::", 3);
    k += 3;
    if (data_len > 0)
        memcpy(buf + k, data, data_len);
    *out = buf;
    *outlen = n;
    return 0;
}

const char *ph_job_header(const ph_job_t *job, const char *name)
{
    for (size_t i = 0; i < job->header_count; i++)
        if (strcmp(job->headers[i].name, name) == 0)
            return job->headers[i].value;
    return NULL;
}

const char *ph_job_param(const ph_job_t *job, const char *key)
{
    return ph_params_get(job->params, key);
}

/* ---------------------------------------------------------------- replies */

static int reserve(ph_reply_t *out, size_t need)
{
    if (need <= out->cap)
        return 0;
    size_t ncap = out->cap ? out->cap : 64;
    while (ncap < need)
        ncap *= 2;
    unsigned char *n = realloc(out->data, ncap);
    if (n == NULL)
        return -1;
    out->data = n;
    out->cap = ncap;
    return 0;
}

int ph_reply_append(ph_reply_t *out, const void *bytes, size_t len)
{
    if (len == 0)
        return 0;
    if (reserve(out, out->len + len) != 0)
        return -1;
    memcpy(out->data + out->len, bytes, len);
    out->len += len;
    return 0;
}

int ph_reply_set(ph_reply_t *out, const void *bytes, size_t len)
{
    out->len = 0;
    return ph_reply_append(out, bytes, len);
}

int ph_reply_printf(ph_reply_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(out, (size_t)n + 1) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf((char *)out->data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len = (size_t)n;
    return 0;
}
