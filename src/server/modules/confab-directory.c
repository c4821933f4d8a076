/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-directory"

#include "config.h"

#include "confab-directory.h"
#include "confab-limits.h"
#include "confab-server-module.h"

/* The directory: every account that is not disabled, found by the start of any word of its
 * name, username, email, title or department, and filtered by whole department, title or
 * location. Anyone signed in may search it. */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

/* --- The rules -------------------------------------------------------------------------------- */

typedef struct
{
  ConfabDirectoryQuery query;
  char                *text;
  char                *department;
  char                *title;
  char                *location;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->text);
  g_free (args->department);
  g_free (args->title);
  g_free (args->location);
  g_free (args);
}

static ConfabStoreReply *
search_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  ConfabDirectoryStoreInterface *iface = CONFAB_DIRECTORY_STORE_GET_IFACE (store);
  JsonObject *result = json_object_new ();
  guint total = 0;

  json_object_set_array_member (result, "users",
                                iface->search (CONFAB_DIRECTORY_STORE (store), &args->query,
                                               &total));
  json_object_set_int_member (result, "total", total);
  return confab_store_reply_new (result);
}

void
confab_directory_search_async (ConfabStore                *store,
                               const ConfabDirectoryQuery *query,
                               GCancellable               *cancellable,
                               GAsyncReadyCallback         callback,
                               gpointer                    user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_DIRECTORY_STORE (store));
  g_return_if_fail (query != NULL);

  args = g_new0 (Args, 1);
  args->query = *query;
  args->query.text = args->text = g_strdup (query->text);
  args->query.department = args->department = g_strdup (query->department);
  args->query.title = args->title = g_strdup (query->title);
  args->query.location = args->location = g_strdup (query->location);
  confab_store_run_async (store, "directory_search", CONFAB_STORE_WORK_READ, search_work, args,
                          args_free, cancellable, callback, user_data,
                          confab_directory_search_async);
}

/* --- Requests -------------------------------------------------------------------------------- */

static void
handle_directory_search (gpointer          instance,
                         ConfabConnection *self,
                         const char       *id,
                         JsonObject       *frame)
{
  static const char * const filters[] = { "department", "title", "location" };
  const char **filter_out[G_N_ELEMENTS (filters)];
  ConfabDirectoryQuery query = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 limit = CONFAB_DIRECTORY_DEFAULT_LIMIT;
  gint64 offset = 0;

  filter_out[0] = &query.department;
  filter_out[1] = &query.title;
  filter_out[2] = &query.location;

  if (!confab_params_get_string (frame, "query", CONFAB_PARAM_OPTIONAL, 0,
                                 CONFAB_SEARCH_QUERY_MAX_CHARS, &query.text, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1,
                                 CONFAB_DIRECTORY_MAX_LIMIT, &limit, &error)
      || !confab_params_get_int (frame, "offset", CONFAB_PARAM_OPTIONAL, 0,
                                 CONFAB_DIRECTORY_MAX_OFFSET, &offset, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    if (!confab_params_get_string (frame, filters[i], CONFAB_PARAM_OPTIONAL, 1,
                                   CONFAB_PROFILE_FIELD_MAX_CHARS, filter_out[i], &error))
      {
        confab_connection_respond_gerror (self, id, error);
        return;
      }

  query.limit = limit;
  query.offset = offset;
  confab_directory_search_async (STORE (self), &query, CONFAB_STORE_CALL (self, id, NULL));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { "directory_search", handle_directory_search },
  { NULL }
};

static const ConfabServerModule module = {
  .name = "directory",
  .requests = requests,
};

void
confab_directory_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
