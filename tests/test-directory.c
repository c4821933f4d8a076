/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* directory_search against the real confabd: 30 colleagues in three departments, with
 * Cyrillic and accented names; prefix and diacritic-insensitive matching, whole-value
 * filters, exact totals, the order of pages, disabled accounts, and bad input. */

#define T CONFAB_TEST_TIMEOUT_MS

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

typedef struct
{
  const char *username;
  const char *display_name;
  const char *department;
  const char *title;
  const char *location;
} Colleague;

static const Colleague colleagues[] = {
  { "olena.kovalenko", "Olena Kovalenko", "Engineering", "Engineer", "Kyiv" },
  { "ivan.kovalchuk", "Ivan Kovalchuk", "Engineering", "Engineer", "Lviv" },
  { "jorge.fernandez", "Jorge Fernández", "Engineering", "Senior Engineer", "Madrid" },
  { "ana.nunez", "Ana Núñez", "Engineering", "Engineer", "Madrid" },
  { "chloe.dupont", "Chloé Dupont", "Engineering", "Engineering Manager", "Paris" },
  { "zoe.martin", "Zoë Martin", "Engineering", "Engineer", "Paris" },
  { "taras.shevchenko", "Тарас Шевченко", "Engineering", "Engineer", "Kyiv" },
  { "petro.bondar", "Петро Бондар", "Engineering", "Intern", "Kyiv" },
  { "dmytro.koval", "Дмитро Коваль", "Engineering", "Engineer", "Lviv" },
  { "erossi", "Elena Rossi", "Engineering", "Engineer", "Remote" },
  { "maria.garcia", "María García", "Sales", "Account Manager", "Madrid" },
  { "jose.fernandez", "José Fernandez", "Sales", "Sales Director", "Madrid" },
  { "anna.kovalenko", "Анна Коваленко", "Sales", "Account Manager", "Kyiv" },
  { "peter.smith", "Peter Smith", "Sales", "Account Manager", "London" },
  { "lukas.muller", "Lukas Müller", "Sales", "Sales Manager", "Berlin" },
  { "eva.novak", "Eva Novák", "Sales", "Account Manager", "Prague" },
  { "john.doe", "John Doe", "Sales", "Intern", "London" },
  { "oleh.ivanenko", "Олег Іваненко", "Sales", "Account Manager", "Kyiv" },
  { "francois.leroy", "François Leroy", "Sales", "Sales Manager", "Paris" },
  { "ines.costa", "Inês Costa", "Sales", "Account Manager", "Lisbon" },
  { "iryna.melnyk", "Ірина Мельник", "Бухгалтерія", "Бухгалтер", "Kyiv" },
  { "natalia.kovalenko", "Наталія Коваленко", "Бухгалтерія", "Головний бухгалтер", "Kyiv" },
  { "andriy.tkachenko", "Андрій Ткаченко", "Бухгалтерія", "Бухгалтер", "Lviv" },
  { "sofia.horvath", "Sofía Horváth", "Бухгалтерія", "Accountant", "Budapest" },
  { "bjorn.larsen", "Björn Larsen", "Бухгалтерія", "Accountant", "Oslo" },
  { "elena.rossi", "Elena Rossi", "Бухгалтерія", "Accountant", "Rome" },
  { "yulia.savchenko", "Юлія Савченко", "Бухгалтерія", "Бухгалтер", "Kyiv" },
  { "mykola.kravets", "Микола Кравець", "Бухгалтерія", "Бухгалтер", "Lviv" },
  { "renee.blanc", "Renée Blanc", "Бухгалтерія", "Accountant", "Paris" },
  { "hanna.lisova", "Ганна Лісова", "Бухгалтерія", "Бухгалтер", "Kyiv" },
};

typedef struct
{
  ConfabTestServer *server;
  ConfabTestClient *client;   /* olena.kovalenko's */
} Fixture;

static char *
json_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = confab_test_server_new (NULL, FAST_HASHING);
  for (guint i = 0; i < G_N_ELEMENTS (colleagues); i++)
    {
      const Colleague *c = &colleagues[i];
      g_autoptr(ConfabTestUser) user = confab_test_user_new (f->server, c->username);
      g_autoptr(ConfabTestClient) client = confab_test_client_new (f->server, user->token, 0);
      g_autofree char *name = json_quote (c->display_name);
      g_autofree char *department = json_quote (c->department);
      g_autofree char *title = json_quote (c->title);
      g_autofree char *location = json_quote (c->location);

      json_object_unref (confab_test_client_call_ok (client, "profile_update",
                                                     "{\"display_name\":%s,\"department\":%s,"
                                                     "\"title\":%s,\"location\":%s,"
                                                     "\"email\":\"%s@example.com\"}",
                                                     name, department, title, location,
                                                     c->username));
      if (i == 0)
        f->client = g_steal_pointer (&client);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->client, confab_test_client_free);
  g_clear_pointer (&f->server, confab_test_server_free);
}

/* Runs directory_search with @params (the members of a JSON object) and returns the usernames
 * of the page, joined with commas, and the total in @total. */
static char *
search (Fixture    *f,
        const char *params,
        gint64     *total)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (f->client, "directory_search",
                                                             "{%s}", params);
  JsonArray *users = json_object_get_array_member (result, "users");
  g_autoptr(GString) names = g_string_new (NULL);

  g_assert_nonnull (users);
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *user = json_array_get_object_element (users, i);

      g_assert_true (json_object_has_member (user, "display_name"));
      g_assert_false (json_object_has_member (user, "password_hash"));
      g_string_append_printf (names, "%s%s", i > 0 ? "," : "",
                              json_object_get_string_member (user, "username"));
    }
  *total = json_object_get_int_member (result, "total");
  return g_string_free (g_steal_pointer (&names), FALSE);
}

#define assert_search(f, params, expected_total, expected_page) \
  G_STMT_START { \
    gint64 _total = -1; \
    g_autofree char *_page = search ((f), (params), &_total); \
    g_assert_cmpstr (_page, ==, (expected_page)); \
    g_assert_cmpint (_total, ==, (expected_total)); \
  } G_STMT_END

#define assert_total(f, params, expected_total) \
  G_STMT_START { \
    gint64 _total = -1; \
    g_autofree char *_page = search ((f), (params), &_total); \
    g_assert_cmpint (_total, ==, (expected_total)); \
  } G_STMT_END

static void
test_prefix (Fixture       *f,
             gconstpointer  data)
{
  /* The start of any word of the name, username or email; any case. */
  assert_search (f, "\"query\":\"kova\"", 5,
                 "ivan.kovalchuk,olena.kovalenko,anna.kovalenko,dmytro.koval,natalia.kovalenko");
  assert_search (f, "\"query\":\"KOVALENKO\"", 3,
                 "olena.kovalenko,anna.kovalenko,natalia.kovalenko");
  assert_search (f, "\"query\":\"olena kova\"", 1, "olena.kovalenko");
  assert_search (f, "\"query\":\"ovalenko\"", 0, "");
  /* Diacritics count for nothing, either way. */
  assert_search (f, "\"query\":\"Fernandez\"", 2, "jorge.fernandez,jose.fernandez");
  assert_search (f, "\"query\":\"fernández\"", 2, "jorge.fernandez,jose.fernandez");
  assert_search (f, "\"query\":\"nunez\"", 1, "ana.nunez");
  assert_search (f, "\"query\":\"Muller\"", 1, "lukas.muller");
  assert_search (f, "\"query\":\"zoe\"", 1, "zoe.martin");
  assert_search (f, "\"query\":\"Chloe\"", 1, "chloe.dupont");
  /* Cyrillic, in any case; й is a letter of its own, not и with a mark. */
  assert_search (f, "\"query\":\"Коваленко\"", 2, "anna.kovalenko,natalia.kovalenko");
  assert_search (f, "\"query\":\"ков\"", 3, "anna.kovalenko,dmytro.koval,natalia.kovalenko");
  assert_search (f, "\"query\":\"ШЕВЧ\"", 1, "taras.shevchenko");
  assert_search (f, "\"query\":\"бухгалтер\"", 10,
                 "bjorn.larsen,elena.rossi,renee.blanc,sofia.horvath,andriy.tkachenko,"
                 "hanna.lisova,mykola.kravets,natalia.kovalenko,yulia.savchenko,iryna.melnyk");
  /* Title and department words; not location (a filter of its own). */
  assert_total (f, "\"query\":\"manager\"", 9);
  assert_total (f, "\"query\":\"sales\"", 10);
  assert_total (f, "\"query\":\"kyiv\"", 0);
  /* Email: everyone is at example.com. */
  assert_total (f, "\"query\":\"example\"", 30);
  /* Punctuation separates words and nothing more. */
  assert_search (f, "\"query\":\"jose.fernandez@\"", 1, "jose.fernandez");
  assert_search (f, "\"query\":\"\\\"(*)^:\"", 30,
                 "ana.nunez,bjorn.larsen,chloe.dupont,elena.rossi,erossi,eva.novak,"
                 "francois.leroy,ines.costa,ivan.kovalchuk,john.doe,jorge.fernandez,"
                 "jose.fernandez,lukas.muller,maria.garcia,olena.kovalenko,peter.smith,"
                 "renee.blanc,sofia.horvath,zoe.martin,andriy.tkachenko");
}

static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  /* Whole values, any case; each department has ten. */
  assert_total (f, "\"department\":\"Engineering\"", 10);
  assert_total (f, "\"department\":\"sales\"", 10);
  assert_total (f, "\"department\":\"SALES\"", 10);
  assert_total (f, "\"department\":\"бухгалтерія\"", 10);
  assert_total (f, "\"department\":\"Sale\"", 0);
  assert_total (f, "\"department\":\"Engineering Manager\"", 0);
  assert_total (f, "\"title\":\"Account Manager\"", 6);
  assert_total (f, "\"title\":\"account  manager\"", 6);
  assert_total (f, "\"title\":\"Manager\"", 0);
  assert_total (f, "\"title\":\"engineer\"", 7);
  assert_total (f, "\"location\":\"kyiv\"", 9);
  assert_total (f, "\"location\":\"KYIV\",\"department\":\"Бухгалтерія\"", 4);
  assert_search (f, "\"department\":\"Engineering\",\"query\":\"kov\"", 3,
                 "ivan.kovalchuk,olena.kovalenko,dmytro.koval");
  assert_search (f, "\"department\":\"Sales\",\"title\":\"Intern\"", 1, "john.doe");
  assert_search (f, "\"department\":\"Sales\",\"location\":\"Oslo\"", 0, "");
  assert_search (f, "\"department\":\"No such\"", 0, "");
}

static void
test_pages (Fixture       *f,
            gconstpointer  data)
{
  /* By display name without case or marks, in code point order (so Latin before Cyrillic,
   * and Ukrainian і after я), then by username. */
  assert_search (f, "\"department\":\"Sales\",\"limit\":3", 10,
                 "eva.novak,francois.leroy,ines.costa");
  assert_search (f, "\"department\":\"Sales\",\"limit\":3,\"offset\":3", 10,
                 "john.doe,jose.fernandez,lukas.muller");
  assert_search (f, "\"department\":\"Sales\",\"limit\":3,\"offset\":9", 10, "oleh.ivanenko");
  assert_search (f, "\"department\":\"Sales\",\"offset\":10", 10, "");
  assert_search (f, "\"department\":\"Sales\",\"offset\":1000000", 10, "");
  /* Two Elena Rossis: by username. */
  assert_search (f, "\"query\":\"rossi\"", 2, "elena.rossi,erossi");
  /* The default page is 20; at most 100. */
  assert_total (f, "", 30);
  assert_search (f, "\"offset\":28", 30, "yulia.savchenko,iryna.melnyk");
  assert_search (f, "\"limit\":100,\"offset\":29", 30, "iryna.melnyk");
  {
    gint64 total = 0;
    g_autofree char *page = search (f, "\"limit\":100", &total);
    g_auto(GStrv) names = g_strsplit (page, ",", -1);

    g_assert_cmpint (total, ==, 30);
    g_assert_cmpuint (g_strv_length (names), ==, 30);
  }
}

/* A disabled account leaves the directory; enabled again, it comes back. */
static void
set_disabled (Fixture    *f,
              const char *username,
              gboolean    disabled)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE users SET disabled = %d WHERE username = '%s'",
                                          disabled ? 1 : 0, username);

  g_clear_pointer (&f->client, confab_test_client_free);
  confab_test_server_stop (f->server);
  g_assert_cmpint (confab_test_server_db_exec (f->server, sql), ==, 1);
  confab_test_server_start (f->server);
}

static void
test_disabled (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(ConfabTestUser) searcher = NULL;

  set_disabled (f, "erossi", TRUE);
  searcher = g_new0 (ConfabTestUser, 1);
  searcher->token = confab_test_login (f->server, "olena.kovalenko", "pw-olena.kovalenko-secret",
                                       NULL);
  f->client = confab_test_client_new (f->server, searcher->token, 0);
  assert_search (f, "\"query\":\"rossi\"", 1, "elena.rossi");
  assert_total (f, "\"department\":\"Engineering\"", 9);
  assert_total (f, "", 29);

  set_disabled (f, "erossi", FALSE);
  f->client = confab_test_client_new (f->server, searcher->token, 0);
  assert_search (f, "\"query\":\"rossi\"", 2, "elena.rossi,erossi");
  assert_total (f, "", 30);
}

/* Changes show at once, in matching, in filters and in order: the server follows them one by
 * one after its first search. */
static void
test_changes (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(ConfabTestUser) newcomer = NULL;
  g_autoptr(ConfabTestClient) client = NULL;

  assert_search (f, "\"department\":\"Sales\",\"limit\":2", 10, "eva.novak,francois.leroy");
  json_object_unref (confab_test_client_call_ok (f->client, "profile_update",
                                                 "{\"display_name\":\"Aaron Kovalenko\","
                                                 "\"department\":\"Sales\"}"));
  assert_search (f, "\"department\":\"Sales\",\"limit\":2", 11,
                 "olena.kovalenko,eva.novak");
  assert_total (f, "\"query\":\"olena\"", 1);
  assert_total (f, "\"query\":\"aaron\"", 1);
  assert_total (f, "\"department\":\"Engineering\"", 9);
  assert_total (f, "", 30);

  /* A new account is listed at once, and moves with its profile. */
  newcomer = confab_test_user_new (f->server, "zed");
  assert_total (f, "", 31);
  assert_search (f, "\"query\":\"zed\"", 1, "zed");
  client = confab_test_client_new (f->server, newcomer->token, 0);
  json_object_unref (confab_test_client_call_ok (client, "profile_update",
                                                 "{\"display_name\":\"Abe Newman\","
                                                 "\"title\":\"Account  manager\","
                                                 "\"location\":\"Kyiv\"}"));
  assert_search (f, "\"limit\":2", 31, "olena.kovalenko,zed");
  assert_total (f, "\"title\":\"account manager\"", 7);
  assert_search (f, "\"title\":\"Account Manager\",\"location\":\"kyiv\"", 3,
                 "zed,anna.kovalenko,oleh.ivanenko");
  json_object_unref (confab_test_client_call_ok (client, "profile_update",
                                                 "{\"title\":\"\"}"));
  assert_total (f, "\"title\":\"account manager\"", 6);

  /* The words searched for follow too: the old ones no longer match, the new ones do. */
  assert_search (f, "\"query\":\"newm\"", 1, "zed");
  assert_total (f, "\"query\":\"example\"", 30);
  json_object_unref (confab_test_client_call_ok (client, "profile_update",
                                                 "{\"email\":\"zed@example.org\"}"));
  assert_total (f, "\"query\":\"example\"", 31);
  json_object_unref (confab_test_client_call_ok (client, "profile_update",
                                                 "{\"display_name\":\"Abe Oldman\","
                                                 "\"email\":\"zed@corp.test\"}"));
  assert_total (f, "\"query\":\"newm\"", 0);
  assert_search (f, "\"query\":\"oldman abe\"", 1, "zed");
  assert_search (f, "\"query\":\"corp\"", 1, "zed");
  assert_total (f, "\"query\":\"example\"", 30);
  assert_total (f, "\"query\":\"manager\"", 9);
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *long_query = g_strnfill (257, 'q');
  g_autofree char *huge_query = g_strnfill (1024 * 1024, 'q');
  g_autofree char *frame = g_strdup_printf ("{\"type\":\"directory_search\",\"id\":\"big\","
                                            "\"query\":\"%s\"}", huge_query);
  g_autoptr(ConfabTestClient) other = NULL;
  g_autoptr(ConfabTestUser) user = NULL;

  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"limit\":10000}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search", "{\"limit\":0}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search", "{\"limit\":-1}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"offset\":-1}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"offset\":1000001}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"limit\":\"20\"}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"query\":\"%s\"}", long_query);
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"query\":17}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"department\":\"\"}");
  confab_test_client_call_error (f->client, "bad_request", "directory_search",
                                 "{\"title\":[\"x\"]}");
  assert_total (f, "\"query\":null,\"department\":null", 30);

  /* A megabyte of query is over the frame limit: the connection closes with 1009, and the
   * server serves everyone else as before. */
  confab_test_client_send_text (f->client, frame, strlen (frame));
  g_assert_true (confab_test_client_wait_closed (f->client, T));
  g_assert_cmpuint (confab_test_client_get_close_code (f->client), ==, 1009);
  confab_test_server_assert_running (f->server);
  user = confab_test_user_new (f->server, "late.comer");
  g_clear_pointer (&f->client, confab_test_client_free);
  f->client = confab_test_client_new (f->server, user->token, 0);
  assert_total (f, "\"query\":\"kova\"", 5);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/confab/directory/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("prefix", test_prefix);
  ADD ("filters", test_filters);
  ADD ("pages", test_pages);
  ADD ("disabled", test_disabled);
  ADD ("changes", test_changes);
  ADD ("bad-input", test_bad_input);

  return confab_test_run ();
}
