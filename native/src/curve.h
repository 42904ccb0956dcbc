/* CURVE for the C worker (internal; see powerhose/worker.h for --curve-server-key and --curve-key):
 * key files in czmq's certificate format, the security options of the worker's sockets, and a thread
 * that reads the DEALER's socket monitor and logs a failed handshake in words that say what to change.
 * The one place the C worker sets security options: ph_worker_run() calls ph_curve_setup() right
 * after creating its sockets, before connecting them, and ph_curve_free() after zmq_ctx_term(). */
#ifndef PH_CURVE_H
#define PH_CURVE_H

#include <stddef.h>

#define PH_CURVE_KEY_Z85 40

typedef struct ph_curve ph_curve_t;

/* Reads a certificate file (NAME.key or NAME.key_secret, as powerhose-keygen, pyzmq's zmq.auth and czmq's
 * zcert write them) into public_key and, when it holds one, secret_key (both 40 characters of Z85 and a
 * NUL; secret_key is "" when the file has none). With need_secret, a file without a secret key is
 * replaced by path + "_secret" next to it. A secret key file must be readable by its owner only, and its
 * public key must be that of its secret key. Returns 0, or -1 with the reason, naming the file, in err. */
int ph_curve_load(const char *path, int need_secret, char public_key[PH_CURVE_KEY_Z85 + 1],
                  char secret_key[PH_CURVE_KEY_Z85 + 1], char *err, size_t errlen);

/* Secures the worker's sockets (dealer, sub) as a CURVE client when server_key_file is set: the broker's
 * public key, this worker's key pair (key_file) or a new one per socket (key_file NULL); and starts the
 * monitor thread on dealer (also without CURVE: a plain worker facing a CURVE broker is told so). name is
 * the program's name for log lines; backend the endpoint, for them. Returns 0 with *out set, or -1 with
 * the reason in err (a configuration error: a key file that cannot be used). */
int ph_curve_setup(void *ctx, void *dealer, void *sub, const char *backend, const char *server_key_file,
                   const char *key_file, const char *name, ph_curve_t **out, char *err, size_t errlen);

/* Joins the monitor thread and frees; call after zmq_ctx_term() (which ends the thread). NULL is fine. */
void ph_curve_free(ph_curve_t *curve);

#endif
