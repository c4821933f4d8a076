/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-frame.h"
#include "confab-fs.h"
#include "confab-json-writer.h"
#include "confab-mentions.h"
#include "confab-limits.h"
#include "confab-proto-files.h"
#include "confab-protocol.h"
#include "confab-validate.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static void
assert_bad_request (const char *text,
                    gssize      length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) frame = NULL;

  frame = confab_frame_parse (text, length < 0 ? strlen (text) : (gsize) length, &error);
  g_assert_null (frame);
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
}

/* A frame refused for an integer out of range still tells its id; no other refused frame does. */
static void
test_frame_refused_id (void)
{
  static const struct { const char *text; const char *id; } cases[] = {
    { "{\"type\":\"edit\",\"id\":\"e1\",\"msg_id\":18446744073709551621}", "e1" },
    { "{\"msg_id\":-99999999999999999999,\"id\":\"e2\",\"type\":\"edit\"}", "e2" },
    { "{\"type\":\"edit\",\"msg_id\":18446744073709551621}", NULL },
    { "{\"type\":\"edit\",\"id\":\"e3\",\"msg_id\":1,}", NULL },
    { "{\"type\":\"edit\",\"id\":\"e4\",\"id\":\"e5\",\"n\":99999999999999999999}", NULL },
    { "{\"type\":\"edit\",\"id\":\"\",\"n\":99999999999999999999}", NULL },
    { "[\"id\",99999999999999999999]", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) frame = confab_frame_parse (cases[i].text, strlen (cases[i].text),
                                                        &error);
      g_autofree char *id = confab_frame_refused_id (cases[i].text, strlen (cases[i].text));

      g_assert_null (frame);
      g_assert_cmpstr (id, ==, cases[i].id);
    }
}

static void
test_frame_parse_rejects (void)
{
  assert_bad_request ("", 0);
  assert_bad_request ("{", -1);
  assert_bad_request ("[1,2]", -1);
  assert_bad_request ("\"hello\"", -1);
  assert_bad_request ("null", -1);
  assert_bad_request ("{\"type\":\"send\",\"body\":\"\xff\xfe\"}", -1);
  /* json-glib would wrap these to small or negative numbers. */
  assert_bad_request ("{\"msg_id\":9223372036854775808}", -1);
  assert_bad_request ("{\"msg_id\":18446744073709551621}", -1);
  assert_bad_request ("{\"msg_id\":-99999999999999999999}", -1);
  /* Surrogate escapes that do not pair up, and short \u escapes: json-glib 1.6 leaks on the
   * former and accepts the latter. */
  assert_bad_request ("{\"s\":\"\\ud83d\\u0041\"}", -1);
  assert_bad_request ("{\"s\":\"\\ud83d\\ud83d\\udc4d\"}", -1);
  assert_bad_request ("{\"s\":\"\\udc00\\ud83d\"}", -1);
  assert_bad_request ("{\"\\ud83d\\u12\":1}", -1);
  assert_bad_request ("{\"s\":\"\\ug\"}", -1);
  /* Lone surrogates have no UTF-8 form (RFC 7493): high, low, at the end of a string. */
  assert_bad_request ("{\"s\":\"h\\ud800i\"}", -1);
  assert_bad_request ("{\"s\":\"\\udc2d\"}", -1);
  assert_bad_request ("{\"s\":\"x\\ud83d\"}", -1);
  assert_bad_request ("{\"s\":\"\\u00", -1);
  /* json-glib takes the last of several values (and leaks the others) and unknown escapes. */
  assert_bad_request ("0{\"a\":1}", -1);
  assert_bad_request ("{\"a\":1} {\"b\":2}", -1);
  assert_bad_request ("{\"a\":1}x", -1);
  assert_bad_request ("{\"s\":\"\\?\"}", -1);
  assert_bad_request ("{\"a\":[1,]}", -1);
  assert_bad_request ("{\"a\":1,}", -1);
  assert_bad_request ("{\"a\":01}", -1);
  assert_bad_request ("{\"a\":\"tab\there\"}", -1);
  /* A member named twice: one reader would take the first value and another the last, so
   * {"type":"history","type":"send"} could pass a check as one request and run as the other
   * (RFC 7493 forbids duplicates). Escapes that spell the same name count too. */
  assert_bad_request ("{\"type\":\"history\",\"type\":\"send\"}", -1);
  assert_bad_request ("{\"a\":1,\"\\u0061\":2}", -1);
  assert_bad_request ("{\"p\":{\"b\":1,\"c\":[{\"d\":1,\"d\":1}]}}", -1);
  /* json-glib would cut the string at the NUL: "eve\u0000x" would read as "eve". */
  assert_bad_request ("{\"username\":\"eve\\u0000x\"}", -1);
  {
    g_autoptr(GString) deep = g_string_new ("{\"a\":");

    for (guint i = 0; i < 100; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 100; i++)
      g_string_append_c (deep, ']');
    g_string_append_c (deep, '}');
    assert_bad_request (deep->str, deep->len);
  }
}

static void
test_frame_parse_accepts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) frame = NULL;
  const char *text = "{\"type\":\"send\",\"id\":\"7\",\"n\":9007199254740991,\"f\":1.2345678901234567891,"
                     "\"e\":1e-400,\"s\":\"12345678901234567890\",\"z\":0000000000000000000001}";

  frame = confab_frame_parse (text, strlen (text), &error);
  /* Leading zeros are not JSON; json-glib refuses them, which is right too. */
  if (frame == NULL)
    g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_clear_pointer (&frame, json_object_unref);

  text = "{\"type\":\"send\",\"id\":\"7\",\"n\":9007199254740991,\"f\":1.2345678901234567891,"
         "\"s\":\"12345678901234567890\",\"e\":\"\\ud83d\\udc4d \\\\u \\u00e9\"}";
  frame = confab_frame_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_frame_get_type (frame), ==, "send");
  g_assert_cmpstr (confab_frame_get_id (frame), ==, "7");
  g_clear_pointer (&frame, json_object_unref);

  text = " {\"a\" : [ ] ,\"b\":{},\"c\":[{\"d\":-0.5e+3},1E2,-0],\"e\":true,\"f\":null,"
         "\"g\":false}\r\n";
  frame = confab_frame_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (frame, "e"));
}

static void
test_params (void)
{
  g_autoptr(GError) error = NULL;
  const char *text = "{\"ok\":\"line\\none\",\"ctl\":\"a\\u0007b\",\"i\":5,"
                     "\"d\":5.0,\"b\":true,\"n\":null,\"big\":9007199254740991}";
  g_autoptr(JsonObject) p = confab_frame_parse (text, strlen (text), &error);
  const char *str = NULL;
  gint64 i = 0;
  gboolean b = FALSE;

  g_assert_no_error (error);

  g_assert_false (confab_params_get_string (p, "ok", 0, 1, 100, &str, &error));
  g_clear_error (&error);
  g_assert_true (confab_params_get_string (p, "ok", CONFAB_PARAM_MULTILINE, 1, 100, &str, &error));
  g_assert_cmpstr (str, ==, "line\none");

  g_assert_false (confab_params_get_string (p, "ctl", CONFAB_PARAM_MULTILINE, 1, 100, &str, &error));
  g_clear_error (&error);

  g_assert_false (confab_params_get_string (p, "ok", CONFAB_PARAM_MULTILINE, 1, 3, &str, &error));
  g_clear_error (&error);

  g_assert_true (confab_params_get_int (p, "i", 0, 1, 10, &i, &error));
  g_assert_cmpint (i, ==, 5);
  g_assert_false (confab_params_get_int (p, "i", 0, 6, 10, &i, &error));
  g_clear_error (&error);
  g_assert_false (confab_params_get_int (p, "d", 0, 1, 10, &i, &error));
  g_clear_error (&error);
  g_assert_false (confab_params_get_int (p, "b", 0, 0, 10, &i, &error));
  g_clear_error (&error);
  g_assert_true (confab_params_get_int (p, "big", 0, 1, CONFAB_MAX_SAFE_INTEGER, &i, &error));

  g_assert_true (confab_params_get_bool (p, "b", 0, &b, &error));
  g_assert_true (b);
  g_assert_false (confab_params_get_bool (p, "i", 0, &b, &error));
  g_clear_error (&error);

  /* Absent and null are the same: fine when optional, an error when required. */
  i = 42;
  g_assert_true (confab_params_get_int (p, "n", CONFAB_PARAM_OPTIONAL, 0, 1, &i, &error));
  g_assert_true (confab_params_get_int (p, "nope", CONFAB_PARAM_OPTIONAL, 0, 1, &i, &error));
  g_assert_cmpint (i, ==, 42);
  g_assert_false (confab_params_get_int (p, "n", 0, 0, 1, &i, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
}

static void
test_identifiers (void)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *dm = NULL;
  g_autofree char *norm = NULL;
  g_autofree char *long_zone = g_strnfill (65, 'z');

  g_assert_true (confab_username_is_valid ("alice"));
  g_assert_true (confab_username_is_valid ("a1"));
  g_assert_true (confab_username_is_valid ("bob.smith-2_x"));
  g_assert_false (confab_username_is_valid ("a"));
  g_assert_false (confab_username_is_valid ("Alice"));
  g_assert_false (confab_username_is_valid (".alice"));
  g_assert_false (confab_username_is_valid ("../etc"));
  g_assert_false (confab_username_is_valid ("abcdefghijklmnopqrstuvwxyz0123456"));
  g_assert_true (confab_username_is_valid ("abcdefghijklmnopqrstuvwxyz012345"));

  /* Time zone names: the form only. */
  g_assert_true (confab_timezone_name_is_valid ("Europe/Kyiv"));
  g_assert_true (confab_timezone_name_is_valid ("UTC"));
  g_assert_true (confab_timezone_name_is_valid ("Etc/GMT-3"));
  g_assert_true (confab_timezone_name_is_valid ("America/Argentina/Buenos_Aires"));
  g_assert_true (confab_timezone_name_is_valid ("Mars/Olympus_Mons"));
  g_assert_false (confab_timezone_name_is_valid (NULL));
  g_assert_false (confab_timezone_name_is_valid (""));
  g_assert_false (confab_timezone_name_is_valid ("/etc/localtime"));
  g_assert_false (confab_timezone_name_is_valid ("../../etc/passwd"));
  g_assert_false (confab_timezone_name_is_valid ("Europe/../UTC"));
  g_assert_false (confab_timezone_name_is_valid ("Europe/"));
  g_assert_false (confab_timezone_name_is_valid ("Europe//Kyiv"));
  g_assert_false (confab_timezone_name_is_valid (":Europe/Kyiv"));
  g_assert_false (confab_timezone_name_is_valid ("UTC+03:00"));
  g_assert_false (confab_timezone_name_is_valid ("Europe/Kyiv "));
  g_assert_true (confab_timezone_name_is_valid (long_zone + 1));
  g_assert_false (confab_timezone_name_is_valid (long_zone));

  norm = confab_username_normalize ("ALICE");
  g_assert_cmpstr (norm, ==, "alice");
  g_assert_null (confab_username_normalize ("Ålice"));

  g_assert_cmpint (confab_conv_parse ("dm:alice:bob", &a, &b), ==, CONFAB_CONV_DM);
  g_assert_cmpstr (a, ==, "alice");
  g_assert_cmpstr (b, ==, "bob");
  g_assert_cmpint (confab_conv_parse ("dm:bob:alice", NULL, NULL), ==, CONFAB_CONV_INVALID);
  g_assert_cmpint (confab_conv_parse ("dm:bob:bob", NULL, NULL), ==, CONFAB_CONV_INVALID);
  g_assert_cmpint (confab_conv_parse ("dm:alice", NULL, NULL), ==, CONFAB_CONV_INVALID);
  g_assert_cmpint (confab_conv_parse ("room:abc_DEF-12", NULL, NULL), ==, CONFAB_CONV_ROOM);
  g_assert_cmpint (confab_conv_parse ("room:abc", NULL, NULL), ==, CONFAB_CONV_INVALID);
  g_assert_cmpint (confab_conv_parse ("group:x", NULL, NULL), ==, CONFAB_CONV_INVALID);

  dm = confab_conv_dm ("zed", "amy");
  g_assert_cmpstr (dm, ==, "dm:amy:zed");
  g_assert_null (confab_conv_dm ("amy", "amy"));

  g_assert_true (confab_token_id_is_valid ("4f1c-uuid", 64));
  g_assert_false (confab_token_id_is_valid ("", 64));
  g_assert_false (confab_token_id_is_valid ("tab\there", 64));
}

static void
test_frames_out (void)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  g_autofree char *err = NULL;
  g_autofree char *ev = NULL;
  g_autofree char *ok = NULL;

  json_object_set_int_member (extra, "retry_after_ms", 1500);
  err = confab_frame_response_error (NULL, CONFAB_PROTOCOL_ERROR_RATE_LIMITED, "slow down", extra,
                                     NULL);
  g_assert_cmpstr (err, ==,
                   "{\"type\":\"response\",\"id\":null,\"ok\":false,\"error\":{\"code\":\"rate_limited\","
                   "\"message\":\"slow down\",\"retry_after_ms\":1500}}");

  ev = confab_frame_event ("synced", 0, NULL, NULL);
  g_assert_cmpstr (ev, ==, "{\"type\":\"event\",\"event\":\"synced\",\"data\":{}}");

  ok = confab_frame_response_ok ("9", NULL, NULL);
  g_assert_cmpstr (ok, ==, "{\"type\":\"response\",\"id\":\"9\",\"ok\":true,\"result\":{}}");

  g_assert_cmpint (confab_protocol_error_http_status (CONFAB_PROTOCOL_ERROR_TOO_LARGE), ==, 413);
}


static void
test_json_writer (void)
{
  /* Every character that needs escaping, a non-ASCII one and one that does not, round-tripped
   * through json-glib. */
  const char *tricky = "quote \" backslash \\ nl \n cr \r tab \t bell \a nul-free \x01\x1f "
                       "del \x7f ü ✓ 𝄞";
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) parsed = NULL;
  g_autofree char *event = NULL;
  g_autofree char *response = NULL;
  ConfabJsonWriter w;
  JsonObject *inner;

  confab_json_writer_init (&w, out);
  confab_json_writer_begin_object (&w);
  confab_json_writer_key (&w, "s");
  confab_json_writer_string (&w, tricky);
  confab_json_writer_key (&w, "n");
  confab_json_writer_int (&w, G_GINT64_CONSTANT (-9007199254740991));
  confab_json_writer_key (&w, "inner");
  confab_json_writer_begin_object (&w);
  confab_json_writer_key (&w, "t");
  confab_json_writer_bool (&w, TRUE);
  confab_json_writer_key (&w, "z");
  confab_json_writer_null (&w);
  confab_json_writer_end_object (&w);
  confab_json_writer_key (&w, "raw");
  confab_json_writer_raw (&w, "[1,2]");
  confab_json_writer_key (&w, "absent");
  confab_json_writer_string (&w, NULL);
  confab_json_writer_end_object (&w);

  parsed = confab_frame_parse (out->str, out->len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (parsed, "s"), ==, tricky);
  g_assert_cmpint (json_object_get_int_member (parsed, "n"), ==,
                   G_GINT64_CONSTANT (-9007199254740991));
  inner = json_object_get_object_member (parsed, "inner");
  g_assert_true (json_object_get_boolean_member (inner, "t"));
  g_assert_true (json_object_get_null_member (inner, "z"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (parsed, "raw")), ==, 2);
  g_assert_true (json_object_get_null_member (parsed, "absent"));
  g_assert_null (strchr (out->str, '\n'));

  /* The text frames say what their json-glib counterparts say. */
  event = confab_frame_event_raw ("message", 42, "{\"msg\":{\"id\":1}}", NULL);
  g_assert_cmpstr (event, ==,
                   "{\"type\":\"event\",\"event\":\"message\",\"seq\":42,\"data\":{\"msg\":{\"id\":1}}}");
  response = confab_frame_response_ok_raw ("r\"1", "{}", NULL);
  g_assert_cmpstr (response, ==, "{\"type\":\"response\",\"id\":\"r\\\"1\",\"ok\":true,\"result\":{}}");
}

static void
test_mentions (void)
{
  static const struct
  {
    const char *body;
    const char *want;   /* the mentions joined with spaces */
  } cases[] = {
    { "no mention here", "" },
    { "@bob hi", "bob" },
    { "Hi @Bob, and @carol.", "bob carol" },
    { "@room: meeting now", "@room" },
    { "mail@bob.org and bob@", "" },
    { "@bob @bob @BOB", "bob" },
    { "@a @-x @@bob (@dave_)", "dave" },
    { "@ivan-petrenko! @олена", "ivan-petrenko" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) mentions = confab_mentions_parse (cases[i].body);
      g_autofree char *joined = g_strjoinv (" ", mentions);

      g_assert_cmpstr (joined, ==, cases[i].want);
    }

  /* At most CONFAB_MENTIONS_MAX. */
  {
    g_autoptr(GString) body = g_string_new (NULL);
    g_auto(GStrv) mentions = NULL;

    for (guint i = 0; i < 2 * CONFAB_MENTIONS_MAX; i++)
      g_string_append_printf (body, "@user%u ", i);
    mentions = confab_mentions_parse (body->str);
    g_assert_cmpuint (g_strv_length (mentions), ==, CONFAB_MENTIONS_MAX);
  }
}

static void
test_tus_metadata (void)
{
  static const char * const bad[] = {
    "filename", /* fine: a key without a value */
    ",", "filename aGk=,filename aGk=", "file name aGk=", "filename a", "filename aGk", "k =aGk",
    "k aGk=x", "k AA==", "k /w==", "filename\x01 aGk=",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) md = NULL;
  g_autofree char *built = NULL;
  gint64 n = 0;

  md = confab_tus_parse_metadata ("filename cmVwb3J0LnBkZg==,filetype YXBwbGljYXRpb24vcGRm,"
                                  " empty, is_confidential", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (md, "filename"), ==, "report.pdf");
  g_assert_cmpstr (g_hash_table_lookup (md, "filetype"), ==, "application/pdf");
  g_assert_cmpstr (g_hash_table_lookup (md, "empty"), ==, "");
  g_assert_cmpstr (g_hash_table_lookup (md, "is_confidential"), ==, "");
  built = confab_tus_build_metadata (md);
  g_assert_cmpstr (built, ==, "empty,filename cmVwb3J0LnBkZg==,filetype YXBwbGljYXRpb24vcGRm,"
                   "is_confidential");
  g_clear_pointer (&md, g_hash_table_unref);
  md = confab_tus_parse_metadata ("", &error);
  g_assert_nonnull (md);
  g_assert_cmpuint (g_hash_table_size (md), ==, 0);

  for (guint i = 1; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GHashTable) none = confab_tus_parse_metadata (bad[i], &error);

      g_assert_null (none);
      g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
      g_clear_error (&error);
    }

  g_assert_true (confab_tus_parse_size ("0", &n) && n == 0);
  g_assert_true (confab_tus_parse_size ("9223372036854775807", &n) && n == G_MAXINT64);
  g_assert_false (confab_tus_parse_size ("9223372036854775808", &n));
  g_assert_false (confab_tus_parse_size ("99999999999999999999", &n));
  g_assert_false (confab_tus_parse_size ("-1", &n));
  g_assert_false (confab_tus_parse_size ("+1", &n));
  g_assert_false (confab_tus_parse_size (" 1", &n));
  g_assert_false (confab_tus_parse_size ("1 ", &n));
  g_assert_false (confab_tus_parse_size ("", &n));
  g_assert_false (confab_tus_parse_size (NULL, &n));

  g_assert_true (confab_file_id_is_valid ("abcdefghijklmnop"));
  g_assert_false (confab_file_id_is_valid ("abcdefghijklmno"));
  g_assert_false (confab_file_id_is_valid ("abcdefghijklmnop/.."));
  g_assert_false (confab_file_id_is_valid (NULL));
}

static void
test_http_range (void)
{
  gint64 start = -1;
  gint64 end = -1;

  g_assert_cmpint (confab_http_parse_range (NULL, 100, &start, &end), ==, CONFAB_RANGE_NONE);
  g_assert_cmpint (confab_http_parse_range ("bytes=0-9", 100, &start, &end), ==,
                   CONFAB_RANGE_PARTIAL);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (end, ==, 9);
  g_assert_cmpint (confab_http_parse_range ("bytes=90-200", 100, &start, &end), ==,
                   CONFAB_RANGE_PARTIAL);
  g_assert_cmpint (end, ==, 99);
  g_assert_cmpint (confab_http_parse_range ("bytes=50-", 100, &start, &end), ==,
                   CONFAB_RANGE_PARTIAL);
  g_assert_cmpint (start, ==, 50);
  g_assert_cmpint (confab_http_parse_range ("bytes=-10", 100, &start, &end), ==,
                   CONFAB_RANGE_PARTIAL);
  g_assert_cmpint (start, ==, 90);
  g_assert_cmpint (confab_http_parse_range ("bytes=-500", 100, &start, &end), ==,
                   CONFAB_RANGE_PARTIAL);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (confab_http_parse_range ("bytes=100-", 100, &start, &end), ==,
                   CONFAB_RANGE_UNSATISFIABLE);
  g_assert_cmpint (confab_http_parse_range ("bytes=-0", 100, &start, &end), ==,
                   CONFAB_RANGE_UNSATISFIABLE);
  g_assert_cmpint (confab_http_parse_range ("bytes=5-1", 100, &start, &end), ==,
                   CONFAB_RANGE_NONE);
  g_assert_cmpint (confab_http_parse_range ("bytes=0-1,5-6", 100, &start, &end), ==,
                   CONFAB_RANGE_NONE);
  g_assert_cmpint (confab_http_parse_range ("items=0-1", 100, &start, &end), ==,
                   CONFAB_RANGE_NONE);
  g_assert_cmpint (confab_http_parse_range ("bytes=x-1", 100, &start, &end), ==,
                   CONFAB_RANGE_NONE);

  g_assert_true (confab_http_etag_matches ("\"ab\"", "\"ab\""));
  g_assert_true (confab_http_etag_matches ("\"x\", W/\"ab\"", "\"ab\""));
  g_assert_true (confab_http_etag_matches ("*", "\"ab\""));
  g_assert_false (confab_http_etag_matches ("\"abc\"", "\"ab\""));
  g_assert_false (confab_http_etag_matches (NULL, "\"ab\""));
}

static void
test_file_names (void)
{
  struct { const char *in; const char *out; } names[] = {
    { "report.pdf", "report.pdf" },
    { "../../etc/passwd", "_.._etc_passwd" },
    { ".hidden", "hidden" },
    { "  spaced  ", "spaced" },
    { "a\rb\nc\x7f", "abc" },
    { "", "file" },
    { NULL, "file" },
    { "bad\xff\xfeutf8", "bad\xef\xbf\xbd\xef\xbf\xbdutf8" },
  };
  g_autofree char *long_name = g_strnfill (1000, 'a');
  g_autofree char *cut = confab_file_name_sanitize (long_name);
  g_autofree char *disposition = confab_http_content_disposition ("a \"b\";c.txt", FALSE);
  g_autofree char *mime = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *clean = confab_file_name_sanitize (names[i].in);

      g_assert_cmpstr (clean, ==, names[i].out);
    }
  g_assert_cmpuint (strlen (cut), <=, CONFAB_FILE_NAME_MAX_BYTES);
  g_assert_cmpstr (disposition, ==, "attachment; filename=\"a _b_;c.txt\"; "
                   "filename*=UTF-8''a%20%22b%22%3Bc.txt");

  mime = confab_file_mime_normalize ("Image/PNG; charset=x");
  g_assert_cmpstr (mime, ==, "image/png");
  g_assert_null (confab_file_mime_normalize ("image"));
  g_assert_null (confab_file_mime_normalize ("image/"));
  g_assert_null (confab_file_mime_normalize ("text/html\r\nX: y"));
  g_assert_null (confab_file_mime_normalize ("a b/c"));
  g_assert_true (confab_file_mime_is_inline_image ("image/jpeg"));
  g_assert_false (confab_file_mime_is_inline_image ("image/svg+xml"));
  g_assert_false (confab_file_mime_is_inline_image ("text/html"));
}

/* The accessors read a member only if it has the type asked for. */
static void
test_json_accessors (void)
{
  static const char text[] =
    "{\"s\":\"x\",\"i\":7,\"b\":true,\"o\":{},\"a\":[1],\"n\":null,\"f\":1.5}";
  g_autoptr(JsonObject) obj = confab_frame_parse (text, sizeof text - 1, NULL);
  gint64 i = 0;
  gboolean b = FALSE;

  g_assert_nonnull (obj);
  g_assert_cmpstr (confab_json_get_string (obj, "s"), ==, "x");
  g_assert_null (confab_json_get_string (obj, "i"));
  g_assert_null (confab_json_get_string (obj, "n"));
  g_assert_null (confab_json_get_string (NULL, "s"));
  g_assert_true (confab_json_get_int (obj, "i", &i));
  g_assert_cmpint (i, ==, 7);
  g_assert_false (confab_json_get_int (obj, "f", &i));
  g_assert_false (confab_json_get_int (obj, "b", &i));
  g_assert_cmpint (i, ==, 7);
  g_assert_cmpint (confab_json_get_int_or (obj, "i", -1), ==, 7);
  g_assert_cmpint (confab_json_get_int_or (obj, "s", -1), ==, -1);
  g_assert_cmpint (confab_json_get_int_or (NULL, "i", -1), ==, -1);
  g_assert_true (confab_json_get_bool (obj, "b", &b));
  g_assert_true (b);
  g_assert_false (confab_json_get_bool (obj, "i", &b));
  g_assert_nonnull (confab_json_get_object (obj, "o"));
  g_assert_null (confab_json_get_object (obj, "a"));
  g_assert_cmpuint (json_array_get_length (confab_json_get_array (obj, "a")), ==, 1);
  g_assert_null (confab_json_get_array (obj, "o"));
  g_assert_null (confab_json_get_array (obj, "missing"));
}

/* The events both sides speak: what the server builds, the client reads back; a member missing
 * or of another type makes the whole event unreadable. */
static void
test_protocol_events (void)
{
  ConfabReaction reaction = { .conv = "dm:alice:bob", .msg_id = 12, .user = "alice",
                              .emoji = "👍", .on = TRUE };
  ConfabReadMark mark = { .conv = "room:r1", .user = "bob", .msg_id = 40 };
  ConfabMessageDeleted deleted = { .conv = "dm:alice:bob", .msg_id = 3 };
  g_autoptr(JsonObject) reaction_json = confab_reaction_to_json (&reaction);
  g_autoptr(JsonObject) mark_json = confab_read_mark_to_json (&mark);
  g_autoptr(JsonObject) deleted_json = confab_message_deleted_to_json (&deleted);
  g_autoptr(JsonObject) call = confab_call_ref_to_json ("c-1");
  g_autofree char *text = confab_json_object_to_string (reaction_json, NULL);
  ConfabReaction reaction_in = { 0 };
  ConfabReadMark mark_in = { 0 };
  ConfabMessageDeleted deleted_in = { 0 };

  g_assert_cmpstr (text, ==, "{\"conv\":\"dm:alice:bob\",\"msg_id\":12,\"user\":\"alice\","
                   "\"emoji\":\"👍\",\"on\":true}");
  g_assert_true (confab_reaction_from_json (reaction_json, &reaction_in));
  g_assert_cmpstr (reaction_in.conv, ==, "dm:alice:bob");
  g_assert_cmpint (reaction_in.msg_id, ==, 12);
  g_assert_cmpstr (reaction_in.user, ==, "alice");
  g_assert_cmpstr (reaction_in.emoji, ==, "👍");
  g_assert_true (reaction_in.on);

  g_assert_true (confab_read_mark_from_json (mark_json, &mark_in));
  g_assert_cmpstr (mark_in.conv, ==, "room:r1");
  g_assert_cmpstr (mark_in.user, ==, "bob");
  g_assert_cmpint (mark_in.msg_id, ==, 40);

  g_assert_true (confab_message_deleted_from_json (deleted_json, &deleted_in));
  g_assert_cmpstr (deleted_in.conv, ==, "dm:alice:bob");
  g_assert_cmpint (deleted_in.msg_id, ==, 3);

  g_assert_cmpstr (confab_call_ref_from_json (call), ==, "c-1");
  g_assert_null (confab_call_ref_from_json (deleted_json));

  /* Mistyped or missing members: nothing is read, and the output is left alone. */
  json_object_set_string_member (reaction_json, "on", "yes");
  reaction_in.msg_id = -5;
  g_assert_false (confab_reaction_from_json (reaction_json, &reaction_in));
  g_assert_cmpint (reaction_in.msg_id, ==, -5);
  json_object_remove_member (mark_json, "user");
  g_assert_false (confab_read_mark_from_json (mark_json, &mark_in));
  json_object_set_string_member (deleted_json, "msg_id", "3");
  g_assert_false (confab_message_deleted_from_json (deleted_json, &deleted_in));
  g_assert_false (confab_message_deleted_from_json (NULL, &deleted_in));
}

static void
test_fold_words (void)
{
  static const char * const cases[][2] = {
    { "Sales-Team", "sales team" },
    { "  sales   team ", "sales team" },
    { "SALÉS TEAM", "sales team" },
    { "R&D", "r d" },
    { "Бухгалтерія", "бухгалтерія" },
    { "Йосип", "иосип" },
    { "—", "" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *folded = confab_text_fold_words (cases[i][0]);

      g_assert_cmpstr (folded, ==, cases[i][1]);
    }
}

/* A tree goes, with its files and empty directories; a symbolic link in it goes as a link,
 * and what it points at stays. */
static void
test_remove_tree (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("confab-fs-XXXXXX", &error);
  g_autofree char *tree = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *deep = NULL;
  g_autofree char *file = NULL;
  g_autofree char *link = NULL;

  g_assert_no_error (error);
  tree = g_build_filename (base, "tree", NULL);
  outside = g_build_filename (base, "outside", NULL);
  kept = g_build_filename (outside, "kept.txt", NULL);
  deep = g_build_filename (tree, "a", "b", "empty", NULL);
  file = g_build_filename (tree, "a", "note.txt", NULL);
  link = g_build_filename (tree, "a", "b", "to-outside", NULL);
  g_assert_cmpint (g_mkdir_with_parents (deep, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (outside, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  g_assert_true (g_file_set_contents (kept, "keep me", -1, NULL));
  g_assert_cmpint (symlink (outside, link), ==, 0);

  g_assert_true (confab_fs_remove_tree (tree));
  g_assert_false (g_file_test (tree, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  /* Already gone, or a plain file: both fine. */
  g_assert_true (confab_fs_remove_tree (tree));
  g_assert_true (confab_fs_remove_tree (kept));
  g_assert_false (g_file_test (kept, G_FILE_TEST_EXISTS));
  g_assert_true (confab_fs_remove_tree (base));
  g_assert_false (g_file_test (base, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/shared/fold-words", test_fold_words);
  g_test_add_func ("/confab/shared/frame-parse-rejects", test_frame_parse_rejects);
  g_test_add_func ("/confab/shared/frame-refused-id", test_frame_refused_id);
  g_test_add_func ("/confab/shared/frame-parse-accepts", test_frame_parse_accepts);
  g_test_add_func ("/confab/shared/params", test_params);
  g_test_add_func ("/confab/shared/identifiers", test_identifiers);
  g_test_add_func ("/confab/shared/frames-out", test_frames_out);
  g_test_add_func ("/confab/shared/json-writer", test_json_writer);
  g_test_add_func ("/confab/shared/mentions", test_mentions);
  g_test_add_func ("/confab/shared/tus-metadata", test_tus_metadata);
  g_test_add_func ("/confab/shared/http-range", test_http_range);
  g_test_add_func ("/confab/shared/file-names", test_file_names);
  g_test_add_func ("/confab/shared/json-accessors", test_json_accessors);
  g_test_add_func ("/confab/shared/protocol-events", test_protocol_events);
  g_test_add_func ("/confab/shared/remove-tree", test_remove_tree);

  return g_test_run ();
}
