/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-auth"

#include "config.h"

#include "confab-auth.h"
#include "confab-error.h"

#include <sodium.h>
#include <string.h>

/* Failures older than this no longer count against a username and address. */
#define FAILURE_WINDOW_US   (15 * G_TIME_SPAN_MINUTE)
#define MAX_LOCKOUT_US      (15 * G_TIME_SPAN_MINUTE)
#define MAX_TRACKED_KEYS    100000

typedef struct
{
  guint  failures;
  gint64 first_failure_us;
  gint64 locked_until_us;
} Throttle;

struct _ConfabAuth
{
  GObject      parent_instance;

  GThreadPool *pool;
  guint        threads;
  guint64      opslimit;
  gsize        memlimit;
  char        *dummy_hash;

  GMutex       lock;         /* guards running and waiting, shared with the pool's threads */
  guint        running;      /* jobs a thread has */
  GQueue       waiting;      /* GTask, best first */
  guint        max_waiting;  /* past it the least deserving is refused rather than queued */

  GHashTable  *by_pair;      /* "username address" → Throttle */
  GHashTable  *by_address;   /* address → Throttle */
  guint        failures_per_user;
  guint        failures_per_address;
  guint        lockout_ms;
};

G_DEFINE_FINAL_TYPE (ConfabAuth, confab_auth, G_TYPE_OBJECT)

typedef struct
{
  char    *password;
  gsize    password_len;
  char    *hash;       /* for verify */
  gboolean verify;
  guint    rank;       /* lower goes first: how suspect the request is */
  guint64  serial;     /* first come, first served within a rank */
} HashJob;

static void
hash_job_free (HashJob *job)
{
  sodium_memzero (job->password, job->password_len);
  g_free (job->password);
  g_free (job->hash);
  g_free (job);
}

static void
hash_job_run (ConfabAuth *self,
              GTask      *task)
{
  HashJob *job = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (job->verify)
    {
      const char *hash = job->hash != NULL ? job->hash : self->dummy_hash;
      gboolean ok = crypto_pwhash_str_verify (hash, job->password, job->password_len) == 0;

      g_task_return_boolean (task, ok && job->hash != NULL);
    }
  else
    {
      char out[crypto_pwhash_STRBYTES];

      if (crypto_pwhash_str_alg (out, job->password, job->password_len, self->opslimit,
                                 self->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAVAILABLE,
                                 "the server is out of memory for password hashing");
      else
        g_task_return_pointer (task, g_strdup (out), g_free);
    }
}

/* Argon2id needs tens of MiB and tens of ms per hash: a pool of one thread per core (unless
 * configured) keeps the main loop free and the memory bounded however many logins arrive at
 * once. A thread takes the best waiting job after each one, so a request from a username and
 * address that did not fail overtakes a storm of guesses. */
static void
run_hash_jobs (gpointer data,
               gpointer user_data)
{
  ConfabAuth *self = user_data;
  GTask *task = data;

  while (task != NULL)
    {
      hash_job_run (self, task);
      g_object_unref (task);

      g_mutex_lock (&self->lock);
      task = g_queue_pop_head (&self->waiting);
      if (task == NULL)
        self->running--;
      g_mutex_unlock (&self->lock);
    }
}

static int
compare_jobs (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const HashJob *ja = g_task_get_task_data ((GTask *) a);
  const HashJob *jb = g_task_get_task_data ((GTask *) b);

  if (ja->rank != jb->rank)
    return ja->rank < jb->rank ? -1 : 1;
  return ja->serial < jb->serial ? -1 : ja->serial > jb->serial;
}

static void
confab_auth_finalize (GObject *object)
{
  ConfabAuth *self = CONFAB_AUTH (object);

  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_queue_clear_full (&self->waiting, g_object_unref);
  g_mutex_clear (&self->lock);
  g_free (self->dummy_hash);
  g_hash_table_unref (self->by_pair);
  g_hash_table_unref (self->by_address);

  G_OBJECT_CLASS (confab_auth_parent_class)->finalize (object);
}

static void
confab_auth_class_init (ConfabAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_auth_finalize;
}

static void
confab_auth_init (ConfabAuth *self)
{
  self->by_pair = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&self->lock);
  g_queue_init (&self->waiting);
  self->by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

ConfabAuth *
confab_auth_new (guint64 opslimit,
                 gsize   memlimit,
                 guint   failures_per_user,
                 guint   failures_per_address,
                 guint   lockout_ms,
                 guint   threads,
                 guint   max_waiting)
{
  ConfabAuth *self;
  char random_password[33];
  char dummy[crypto_pwhash_STRBYTES];

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");

  self = g_object_new (CONFAB_TYPE_AUTH, NULL);
  self->opslimit = opslimit;
  self->memlimit = memlimit;
  self->failures_per_user = failures_per_user;
  self->failures_per_address = failures_per_address;
  self->lockout_ms = lockout_ms;
  self->max_waiting = MAX (1, max_waiting);
  self->threads = threads > 0 ? threads : MAX (1, g_get_num_processors ());
  self->pool = g_thread_pool_new (run_hash_jobs, self, self->threads, FALSE, NULL);

  /* Logins for unknown usernames verify against this hash, so they take as long as real ones
   * and timing does not reveal which usernames exist. */
  randombytes_buf (random_password, sizeof random_password - 1);
  random_password[sizeof random_password - 1] = '\0';
  if (crypto_pwhash_str_alg (dummy, random_password, sizeof random_password - 1, opslimit,
                             memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
    g_error ("not enough memory for Argon2id with the configured limits");
  self->dummy_hash = g_strdup (dummy);
  sodium_memzero (random_password, sizeof random_password);

  return self;
}

static void
submit (ConfabAuth          *self,
        HashJob             *job,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  static guint64 serial;
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GTask *refused = NULL;

  g_task_set_source_tag (task, source_tag);
  job->serial = ++serial;
  g_task_set_task_data (task, job, (GDestroyNotify) hash_job_free);

  g_mutex_lock (&self->lock);
  if (self->running < self->threads)
    {
      self->running++;
      g_mutex_unlock (&self->lock);
      g_thread_pool_push (self->pool, task, NULL);
      return;
    }
  g_queue_insert_sorted (&self->waiting, task, compare_jobs, NULL);
  if (self->waiting.length > self->max_waiting)
    refused = g_queue_pop_tail (&self->waiting);
  g_mutex_unlock (&self->lock);

  if (refused != NULL)
    {
      g_task_return_new_error (refused, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAVAILABLE,
                               "too many password checks waiting: try again in a moment");
      g_object_unref (refused);
    }
}

void
confab_auth_hash_password_async (ConfabAuth          *self,
                                 const char          *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  HashJob *job = g_new0 (HashJob, 1);

  g_return_if_fail (CONFAB_IS_AUTH (self));
  g_return_if_fail (password != NULL);

  job->password_len = strlen (password);
  job->password = g_strndup (password, job->password_len);
  submit (self, job, confab_auth_hash_password_async, cancellable, callback, user_data);
}

char *
confab_auth_hash_password_finish (ConfabAuth    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static Throttle *lookup_throttle (GHashTable *table,
                                  const char *key,
                                  gboolean    create);

static char *
pair_key (const char *username,
          const char *address)
{
  return g_strconcat (username, " ", address != NULL ? address : "", NULL);
}

/**
 * confab_auth_verify_password_async:
 * @hash: (nullable): the stored hash; %NULL for an unknown user, checked against a dummy hash
 *   and failing
 * @username: who is signing in
 * @address: (nullable): from where
 *
 * Checks go first come, first served, except that those from a username and address with
 * recent failures (and then from an address with many) wait behind the others.
 */
void
confab_auth_verify_password_async (ConfabAuth          *self,
                                   const char          *hash,
                                   const char          *password,
                                   const char          *username,
                                   const char          *address,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  HashJob *job = g_new0 (HashJob, 1);
  g_autofree char *key = NULL;
  Throttle *pair;
  Throttle *from;

  g_return_if_fail (CONFAB_IS_AUTH (self));
  g_return_if_fail (password != NULL);
  g_return_if_fail (username != NULL);

  key = pair_key (username, address);
  pair = lookup_throttle (self->by_pair, key, FALSE);
  from = address != NULL ? lookup_throttle (self->by_address, address, FALSE) : NULL;
  job->rank = pair != NULL ? 2 * pair->failures : 0;
  if (from != NULL && from->failures >= self->failures_per_address)
    job->rank++;

  job->verify = TRUE;
  job->hash = g_strdup (hash);
  job->password_len = strlen (password);
  job->password = g_strndup (password, job->password_len);
  submit (self, job, confab_auth_verify_password_async, cancellable, callback, user_data);
}

gboolean
confab_auth_verify_password_finish (ConfabAuth    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
base64url (const guint8 *data,
           gsize         len)
{
  char *out = g_base64_encode (data, len);
  gsize n = strlen (out);

  for (gsize i = 0; i < n; i++)
    {
      if (out[i] == '+')
        out[i] = '-';
      else if (out[i] == '/')
        out[i] = '_';
    }
  while (n > 0 && out[n - 1] == '=')
    out[--n] = '\0';
  return out;
}

/**
 * confab_auth_new_token:
 * @token: (out) (transfer full): 32 random bytes, base64url, for the client
 * @token_hash: (out) (transfer full): what the server stores instead of the token
 *
 * The token has 256 bits of entropy, so a plain SHA-256 is enough to keep it unusable if the
 * database leaks; a slow hash would only slow down every connection.
 */
void
confab_auth_new_token (char **token,
                       char **token_hash)
{
  guint8 bytes[32];

  randombytes_buf (bytes, sizeof bytes);
  *token = base64url (bytes, sizeof bytes);
  *token_hash = confab_auth_hash_token (*token);
  sodium_memzero (bytes, sizeof bytes);
}

char *
confab_auth_hash_token (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

char *
confab_auth_new_id (gsize bytes)
{
  g_autofree guint8 *data = g_malloc (bytes);

  randombytes_buf (data, bytes);
  return base64url (data, bytes);
}

static Throttle *
lookup_throttle (GHashTable *table,
                 const char *key,
                 gboolean    create)
{
  Throttle *t = g_hash_table_lookup (table, key);
  gint64 now = g_get_monotonic_time ();

  if (t != NULL && t->locked_until_us < now && now - t->first_failure_us > FAILURE_WINDOW_US)
    {
      g_hash_table_remove (table, key);
      t = NULL;
    }
  if (t == NULL && create)
    {
      /* A flood of distinct usernames must not grow memory without bound. */
      if (g_hash_table_size (table) >= MAX_TRACKED_KEYS)
        g_hash_table_remove_all (table);
      t = g_new0 (Throttle, 1);
      t->first_failure_us = now;
      g_hash_table_insert (table, g_strdup (key), t);
    }
  return t;
}

static gint64
remaining_lock_ms (GHashTable *table,
                   const char *key)
{
  Throttle *t = key != NULL ? lookup_throttle (table, key, FALSE) : NULL;
  gint64 now = g_get_monotonic_time ();

  if (t == NULL || t->locked_until_us <= now)
    return 0;
  return (t->locked_until_us - now + 999) / 1000;
}

/**
 * confab_auth_login_allowed:
 * @self: the auth
 * @username: the username tried
 * @address: (nullable): the client address
 * @retry_after_ms: (out): how long to wait when not allowed
 *
 * Returns: %FALSE while this username is locked out from this address after repeated failures.
 *   Other addresses, and other usernames from this address, are not locked: one office behind
 *   one address, or someone who knows a colleague's username, cannot lock anyone out.
 */
gboolean
confab_auth_login_allowed (ConfabAuth *self,
                           const char *username,
                           const char *address,
                           gint64     *retry_after_ms)
{
  g_autofree char *key = pair_key (username, address);
  gint64 wait = remaining_lock_ms (self->by_pair, key);

  *retry_after_ms = wait;
  return wait == 0;
}

static void
count_failure (Throttle *t,
               guint     allowed,
               guint     lockout_ms)
{
  t->failures++;
  if (allowed > 0 && t->failures >= allowed)
    {
      /* Each failure past the allowance doubles the lock, up to a ceiling. */
      guint extra = MIN (t->failures - allowed, 16);
      gint64 lock = MIN ((gint64) lockout_ms * 1000 << extra, MAX_LOCKOUT_US);

      t->locked_until_us = g_get_monotonic_time () + lock;
    }
}

void
confab_auth_login_failed (ConfabAuth *self,
                          const char *username,
                          const char *address)
{
  g_autofree char *key = pair_key (username, address);

  count_failure (lookup_throttle (self->by_pair, key, TRUE), self->failures_per_user,
                 self->lockout_ms);
  /* An address's failures only send its checks behind the others' (see verify_password). */
  if (address != NULL)
    count_failure (lookup_throttle (self->by_address, address, TRUE), 0, 0);
}

void
confab_auth_login_succeeded (ConfabAuth *self,
                             const char *username,
                             const char *address)
{
  g_autofree char *key = pair_key (username, address);

  g_hash_table_remove (self->by_pair, key);
}
