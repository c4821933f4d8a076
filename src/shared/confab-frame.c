/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-frame"

#include "config.h"

#include "confab-frame.h"
#include "confab-json-writer.h"
#include "confab-limits.h"
#include "confab-validate.h"

#include <string.h>

/* json-glib 1.6 is lenient where the network needs strictness: it accepts several top-level
 * values in one text (and leaks all but the last), `\?` and short `\u` escapes, and it leaks
 * memory on a surrogate escape followed by a `\u` escape that does not complete the pair
 * (fuzzing found both leaks). It also wraps integers beyond 64 bits silently (2^64 + 5 reads
 * as 5). So every text is checked against the JSON grammar (RFC 8259) first. */
#define MAX_INTEGER_DIGITS 16   /* 10^16 > 2^53: anything longer is out of every range */
#define MAX_DEPTH          64   /* protocol objects are shallow; json-glib recurses */

typedef struct
{
  const char *p;
  const char *end;
  const char *why;
  gboolean    long_integers;  /* integers of any length pass (confab_frame_refused_id ()) */
} Scan;

static gboolean
scan_fail (Scan       *scan,
           const char *why)
{
  scan->why = why;
  return FALSE;
}

static void
scan_whitespace (Scan *scan)
{
  while (scan->p < scan->end
         && (*scan->p == ' ' || *scan->p == '\t' || *scan->p == '\n' || *scan->p == '\r'))
    scan->p++;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads `\uXXXX` at @at. */
static gboolean
read_unicode_escape (const Scan *scan,
                     const char *at,
                     gunichar   *out)
{
  gunichar value = 0;

  if (scan->end - at < 6 || at[0] != '\\' || at[1] != 'u')
    return FALSE;
  for (int k = 2; k < 6; k++)
    {
      int digit = hex_value (at[k]);

      if (digit < 0)
        return FALSE;
      value = (value << 4) | (gunichar) digit;
    }
  *out = value;
  return TRUE;
}

static gboolean
scan_unicode_escape (Scan *scan)
{
  gunichar first;
  gunichar second;

  if (!read_unicode_escape (scan, scan->p, &first))
    return scan_fail (scan, "malformed \\u escape");
  /* json-glib's strings end at a NUL, so "eve\u0000x" would read as "eve". No field of the
   * protocol allows control characters anyway. */
  if (first == 0)
    return scan_fail (scan, "NUL character in string");
  scan->p += 6;
  if (first < 0xd800 || first > 0xdfff)
    return TRUE;

  /* A surrogate must be the high half of a pair (RFC 7493 §2.1): a lone one has no UTF-8
   * form, and json-glib reads some as invalid UTF-8 and refuses others. */
  if (first > 0xdbff || !read_unicode_escape (scan, scan->p, &second)
      || second < 0xdc00 || second > 0xdfff)
    return scan_fail (scan, "unpaired surrogate in string");
  scan->p += 6;
  return TRUE;
}

static gboolean
scan_string (Scan *scan)
{
  scan->p++;
  while (scan->p < scan->end)
    {
      guchar c = (guchar) *scan->p;

      if (c == '"')
        {
          scan->p++;
          return TRUE;
        }
      if (c < 0x20)
        return scan_fail (scan, "control character in string");
      if (c != '\\')
        {
          scan->p++;
          continue;
        }
      if (scan->end - scan->p < 2)
        break;
      switch (scan->p[1])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          scan->p += 2;
          break;
        case 'u':
          if (!scan_unicode_escape (scan))
            return FALSE;
          break;
        default:
          return scan_fail (scan, "malformed escape");
        }
    }
  return scan_fail (scan, "unterminated string");
}

static gboolean
scan_digits (Scan  *scan,
             guint *count)
{
  const char *start = scan->p;

  while (scan->p < scan->end && *scan->p >= '0' && *scan->p <= '9')
    scan->p++;
  *count = scan->p - start;
  return *count > 0;
}

static gboolean
scan_number (Scan *scan)
{
  gboolean is_integer = TRUE;
  guint digits;

  if (*scan->p == '-')
    scan->p++;
  if (scan->p < scan->end && *scan->p == '0')
    {
      scan->p++;
      digits = 1;
    }
  else if (!scan_digits (scan, &digits))
    return scan_fail (scan, "malformed number");

  if (scan->p < scan->end && *scan->p == '.')
    {
      guint fraction;

      scan->p++;
      is_integer = FALSE;
      if (!scan_digits (scan, &fraction))
        return scan_fail (scan, "malformed number");
    }
  if (scan->p < scan->end && (*scan->p == 'e' || *scan->p == 'E'))
    {
      guint exponent;

      scan->p++;
      is_integer = FALSE;
      if (scan->p < scan->end && (*scan->p == '+' || *scan->p == '-'))
        scan->p++;
      if (!scan_digits (scan, &exponent))
        return scan_fail (scan, "malformed number");
    }

  /* A fraction or an exponent makes a double, which json-glib never wraps. */
  if (is_integer && digits > MAX_INTEGER_DIGITS && !scan->long_integers)
    return scan_fail (scan, "number out of range");
  return TRUE;
}

static gboolean
scan_literal (Scan *scan)
{
  static const char * const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize len = strlen (literals[i]);

      if ((gsize) (scan->end - scan->p) >= len && memcmp (scan->p, literals[i], len) == 0)
        {
          scan->p += len;
          return TRUE;
        }
    }
  return scan_fail (scan, "malformed JSON");
}

/* A member name and its colon. */
static gboolean
scan_key (Scan *scan)
{
  scan_whitespace (scan);
  if (scan->p >= scan->end || *scan->p != '"')
    return scan_fail (scan, "malformed JSON: expected a member name");
  if (!scan_string (scan))
    return FALSE;
  scan_whitespace (scan);
  if (scan->p >= scan->end || *scan->p != ':')
    return scan_fail (scan, "malformed JSON: expected ':'");
  scan->p++;
  return TRUE;
}

/* Returns why @data is refused, or NULL if it is one well-formed JSON text. */
static const char *
check_json_text (const char *data,
                 gsize       length,
                 gboolean    long_integers)
{
  Scan scan = { data, data + length, NULL, long_integers };
  char stack[MAX_DEPTH];
  guint depth = 0;

  for (;;)
    {
      char c;

      /* A value. */
      scan_whitespace (&scan);
      if (scan.p >= scan.end)
        return "truncated JSON";
      c = *scan.p;
      if (c == '{' || c == '[')
        {
          char close = c == '{' ? '}' : ']';

          if (depth == MAX_DEPTH)
            return "JSON nested too deeply";
          stack[depth++] = close;
          scan.p++;
          scan_whitespace (&scan);
          if (scan.p < scan.end && *scan.p == close)
            {
              scan.p++;
              depth--;
            }
          else
            {
              if (c == '{' && !scan_key (&scan))
                return scan.why;
              continue;
            }
        }
      else if (c == '"')
        {
          if (!scan_string (&scan))
            return scan.why;
        }
      else if (c == '-' || (c >= '0' && c <= '9'))
        {
          if (!scan_number (&scan))
            return scan.why;
        }
      else if (!scan_literal (&scan))
        {
          return scan.why;
        }

      /* After a value: a separator, closing brackets, or the end. */
      for (;;)
        {
          scan_whitespace (&scan);
          if (depth == 0)
            return scan.p == scan.end ? NULL : "malformed JSON: data after the value";
          if (scan.p >= scan.end)
            return "truncated JSON";
          c = *scan.p++;
          if (c == stack[depth - 1])
            {
              depth--;
              continue;
            }
          if (c != ',')
            return "malformed JSON";
          if (stack[depth - 1] == '}' && !scan_key (&scan))
            return scan.why;
          break;
        }
    }
}

/* --- Building the tree --------------------------------------------------------------------
 *
 * Runs only on text that check_json_text() accepted, so it trusts the grammar: depth is bounded,
 * strings are terminated, escapes are well formed, integers fit. It replaces json-glib's
 * GScanner-based parser, which cost more than the rest of a request's handling. */

static void
build_whitespace (const char **p)
{
  while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
    (*p)++;
}

static gunichar
build_hex4 (const char *at)
{
  gunichar value = 0;

  for (int k = 0; k < 4; k++)
    value = (value << 4) | (gunichar) hex_value (at[k]);
  return value;
}

/* At the opening quote; returns the decoded string and leaves *p after the closing quote. */
static char *
build_string (const char **p)
{
  const char *start = ++(*p);
  const char *q = start;
  GString *out;

  while (*q != '"' && *q != '\\')
    q++;
  if (*q == '"')
    {
      *p = q + 1;
      return g_strndup (start, q - start);
    }

  out = g_string_new_len (start, q - start);
  while (*q != '"')
    {
      if (*q != '\\')
        {
          g_string_append_c (out, *q++);
          continue;
        }
      switch (q[1])
        {
        case 'b': g_string_append_c (out, '\b'); q += 2; break;
        case 'f': g_string_append_c (out, '\f'); q += 2; break;
        case 'n': g_string_append_c (out, '\n'); q += 2; break;
        case 'r': g_string_append_c (out, '\r'); q += 2; break;
        case 't': g_string_append_c (out, '\t'); q += 2; break;
        case 'u':
          {
            gunichar c = build_hex4 (q + 2);
            char utf8[6];

            q += 6;
            if (c >= 0xd800 && c <= 0xdbff && q[0] == '\\' && q[1] == 'u')
              {
                gunichar low = build_hex4 (q + 2);

                c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                q += 6;
              }
            /* Surrogates come in pairs here: the grammar check refused lone ones. */
            g_string_append_len (out, utf8, g_unichar_to_utf8 (c, utf8));
            break;
          }
        default: /* '"', '\\', '/' */
          g_string_append_c (out, q[1]);
          q += 2;
          break;
        }
    }
  *p = q + 1;
  return g_string_free (out, FALSE);
}

static JsonNode *build_value (const char **p,
                              gboolean    *duplicate);

static JsonNode *
build_number (const char **p)
{
  const char *start = *p;
  gboolean is_integer = TRUE;
  const char *q = start;

  if (*q == '-')
    q++;
  for (; (*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+'
       || *q == '-'; q++)
    if (*q == '.' || *q == 'e' || *q == 'E')
      is_integer = FALSE;
  *p = q;

  if (is_integer)
    return json_node_init_int (json_node_alloc (), g_ascii_strtoll (start, NULL, 10));
  return json_node_init_double (json_node_alloc (), g_ascii_strtod (start, NULL));
}

/* Sets *@duplicate when an object names a member twice (RFC 7493 I-JSON forbids it; a reader
 * keeping the first and another the last would disagree on what the frame says). */
static JsonNode *
build_value (const char **p,
             gboolean    *duplicate)
{
  JsonNode *node;

  build_whitespace (p);
  switch (**p)
    {
    case '{':
      {
        JsonObject *object = json_object_new ();

        (*p)++;
        build_whitespace (p);
        while (**p != '}')
          {
            g_autofree char *name = NULL;

            if (**p == ',')
              {
                (*p)++;
                build_whitespace (p);
              }
            name = build_string (p);
            build_whitespace (p);
            (*p)++; /* ':' */
            if (json_object_has_member (object, name))
              *duplicate = TRUE;
            json_object_set_member (object, name, build_value (p, duplicate));
            build_whitespace (p);
          }
        (*p)++;
        node = json_node_init_object (json_node_alloc (), object);
        json_object_unref (object);
        return node;
      }

    case '[':
      {
        JsonArray *array = json_array_new ();

        (*p)++;
        build_whitespace (p);
        while (**p != ']')
          {
            if (**p == ',')
              (*p)++;
            json_array_add_element (array, build_value (p, duplicate));
            build_whitespace (p);
          }
        (*p)++;
        node = json_node_init_array (json_node_alloc (), array);
        json_array_unref (array);
        return node;
      }

    case '"':
      {
        g_autofree char *str = build_string (p);

        return json_node_init_string (json_node_alloc (), str);
      }

    case 't':
      *p += 4;
      return json_node_init_boolean (json_node_alloc (), TRUE);
    case 'f':
      *p += 5;
      return json_node_init_boolean (json_node_alloc (), FALSE);
    case 'n':
      *p += 4;
      return json_node_init_null (json_node_alloc ());
    default:
      return build_number (p);
    }
}

/**
 * confab_frame_parse:
 * @data: the bytes of one text frame or HTTP body
 * @length: their length
 * @error: return location for a %CONFAB_PROTOCOL_ERROR_BAD_REQUEST error
 *
 * Parses one JSON object. Invalid UTF-8, anything that is not exactly one well-formed JSON
 * text (RFC 8259), nesting deeper than 64, anything but an object at the top, a member name
 * twice in one object and integers beyond 2^53 are refused (RFC 7493).
 *
 * Returns: (transfer full) (nullable): the object
 */
JsonObject *
confab_frame_parse (const char  *data,
                    gsize        length,
                    GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  const char *refusal;
  const char *p;
  JsonObject *object;
  gboolean duplicate = FALSE;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           "empty frame");
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           "frame is not valid UTF-8");
      return NULL;
    }
  if ((refusal = check_json_text (data, length, FALSE)) != NULL)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           refusal);
      return NULL;
    }

  /* The text is well formed, so the first non-blank character tells an object. */
  p = data;
  build_whitespace (&p);
  if (*p != '{')
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           "frame is not a JSON object");
      return NULL;
    }

  /* The checked text may lack a terminating NUL; the builder reads up to its last '}' and the
   * grammar guarantees it never reads past it. */
  root = build_value (&p, &duplicate);
  if (duplicate)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           "a member name appears twice in one object");
      return NULL;
    }
  object = json_object_ref (json_node_get_object (root));
  json_object_seal (object);
  return object;
}

/**
 * confab_frame_refused_id:
 * @data: the text of a frame that confab_frame_parse() refused
 * @length: its length in bytes
 *
 * Reads the request id of a frame refused only for an integer out of every range, so that its
 * error answers that request. A frame refused for anything else, or that names a member twice,
 * has no id one can trust.
 *
 * Returns: (transfer full) (nullable): the id, or %NULL
 */
char *
confab_frame_refused_id (const char *data,
                         gsize       length)
{
  g_autoptr(JsonNode) root = NULL;
  gboolean duplicate = FALSE;
  const char *id;
  const char *p;

  if (length == 0 || !g_utf8_validate_len (data, length, NULL)
      || check_json_text (data, length, TRUE) != NULL)
    return NULL;
  p = data;
  build_whitespace (&p);
  if (*p != '{')
    return NULL;
  root = build_value (&p, &duplicate);
  if (duplicate)
    return NULL;
  id = confab_frame_get_id (json_node_get_object (root));
  return g_strdup (id);
}

/* The member @name of @object if it is a value of @type (strings, integers and booleans). */
static JsonNode *
get_value (JsonObject *object,
           const char *name,
           GType       type)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

/**
 * confab_json_get_string:
 * @object: (nullable): an object read from the network
 * @name: a member
 *
 * Reads a member that should be a string, leniently: for peers' frames, where a missing or
 * mistyped member is skipped rather than refused.
 *
 * Returns: (nullable): the string, or %NULL if @object is %NULL or the member is absent or not
 *   a string
 */
const char *
confab_json_get_string (JsonObject *object,
                        const char *name)
{
  JsonNode *node = get_value (object, name, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

/**
 * confab_json_get_object:
 * @object: (nullable): an object read from the network
 * @name: a member
 *
 * Returns: (nullable) (transfer none): the member if it is an object, else %NULL
 */
JsonObject *
confab_json_get_object (JsonObject *object,
                        const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/**
 * confab_json_get_int:
 * @object: (nullable): an object read from the network
 * @name: a member
 * @out: (out): the value, set only on success
 *
 * Returns: %TRUE if the member is an integer
 */
gboolean
confab_json_get_int (JsonObject *object,
                     const char *name,
                     gint64     *out)
{
  JsonNode *node = get_value (object, name, G_TYPE_INT64);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

/**
 * confab_json_get_int_or:
 * @object: (nullable): an object read from the network
 * @name: a member
 * @fallback: the value without an integer member
 *
 * Returns: the member if it is an integer, else @fallback
 */
gint64
confab_json_get_int_or (JsonObject *object,
                        const char *name,
                        gint64      fallback)
{
  gint64 value = fallback;

  confab_json_get_int (object, name, &value);
  return value;
}

/**
 * confab_json_get_array:
 * @object: (nullable): an object read from the network
 * @name: a member
 *
 * Returns: (nullable) (transfer none): the member if it is an array, else %NULL
 */
JsonArray *
confab_json_get_array (JsonObject *object,
                       const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

/**
 * confab_json_get_bool:
 * @object: (nullable): an object read from the network
 * @name: a member
 * @out: (out): the value, set only on success
 *
 * Returns: %TRUE if the member is a boolean
 */
gboolean
confab_json_get_bool (JsonObject *object,
                      const char *name,
                      gboolean   *out)
{
  JsonNode *node = get_value (object, name, G_TYPE_BOOLEAN);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_boolean (node);
  return TRUE;
}

/**
 * confab_frame_get_type:
 * @frame: a parsed frame
 *
 * Returns: (nullable): the frame's `type`, if it is a string
 */
const char *
confab_frame_get_type (JsonObject *frame)
{
  const char *type = confab_json_get_string (frame, "type");

  if (type == NULL || !confab_token_id_is_valid (type, 64))
    return NULL;
  return type;
}

/**
 * confab_frame_get_id:
 * @frame: a parsed frame
 *
 * Returns: (nullable): the request id, if the frame carries a valid one (1–64 characters)
 */
const char *
confab_frame_get_id (JsonObject *frame)
{
  const char *id = confab_json_get_string (frame, "id");

  if (id == NULL || !confab_token_id_is_valid (id, CONFAB_REQUEST_ID_MAX_CHARS))
    return NULL;
  return id;
}

static JsonNode *
lookup_param (JsonObject        *params,
              const char        *name,
              ConfabParamFlags   flags,
              gboolean          *missing,
              GError           **error)
{
  JsonNode *node = params != NULL ? json_object_get_member (params, name) : NULL;

  *missing = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *missing = TRUE;
      if ((flags & CONFAB_PARAM_OPTIONAL) == 0)
        g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                     "missing field '%s'", name);
      return NULL;
    }
  return node;
}

static gboolean
wrong_type (const char  *name,
            const char  *expected,
            GError     **error)
{
  g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
               "field '%s' must be %s", name, expected);
  return FALSE;
}

/**
 * confab_params_get_string:
 * @params: (nullable): the request object
 * @name: the field
 * @flags: whether it is optional, whether it may span lines
 * @min_chars: the fewest characters allowed
 * @max_chars: the most characters allowed
 * @out: (out): the string, owned by @params; unchanged if an optional field is absent
 * @error: return location for a %CONFAB_PROTOCOL_ERROR_BAD_REQUEST error
 *
 * Reads a string field: valid UTF-8, no control characters (but newlines and tabs when
 * %CONFAB_PARAM_MULTILINE), between @min_chars and @max_chars characters.
 *
 * Returns: %TRUE on success, or when an optional field is absent or null
 */
gboolean
confab_params_get_string (JsonObject        *params,
                          const char        *name,
                          ConfabParamFlags   flags,
                          guint              min_chars,
                          guint              max_chars,
                          const char       **out,
                          GError           **error)
{
  gboolean missing;
  JsonNode *node = lookup_param (params, name, flags, &missing, error);
  const char *str;
  glong chars;

  if (node == NULL)
    return missing && (flags & CONFAB_PARAM_OPTIONAL) != 0;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (name, "a string", error);

  str = json_node_get_string (node);
  /* json-glib turns lone surrogate escapes (\ud800) into invalid UTF-8. */
  if (!g_utf8_validate (str, -1, NULL))
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "field '%s' is not valid UTF-8", name);
      return FALSE;
    }
  if (!confab_text_is_clean (str, (flags & CONFAB_PARAM_MULTILINE) != 0))
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "field '%s' contains control characters", name);
      return FALSE;
    }

  chars = g_utf8_strlen (str, -1);
  if ((gulong) chars < min_chars || (gulong) chars > max_chars)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "field '%s' must have %u to %u characters, not %ld",
                   name, min_chars, max_chars, chars);
      return FALSE;
    }

  *out = str;
  return TRUE;
}

/**
 * confab_params_get_int:
 * @params: (nullable): the request object
 * @name: the field
 * @flags: whether it is optional
 * @min: the lowest value allowed
 * @max: the highest value allowed
 * @out: (out): the value; unchanged if an optional field is absent
 * @error: return location for a %CONFAB_PROTOCOL_ERROR_BAD_REQUEST error
 *
 * Reads an integer field. Fractions, strings and booleans are refused.
 *
 * Returns: %TRUE on success, or when an optional field is absent or null
 */
gboolean
confab_params_get_int (JsonObject        *params,
                       const char        *name,
                       ConfabParamFlags   flags,
                       gint64             min,
                       gint64             max,
                       gint64            *out,
                       GError           **error)
{
  gboolean missing;
  JsonNode *node = lookup_param (params, name, flags, &missing, error);
  gint64 value;

  if (node == NULL)
    return missing && (flags & CONFAB_PARAM_OPTIONAL) != 0;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (name, "an integer", error);

  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "field '%s' is out of range", name);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

/**
 * confab_params_get_bool:
 * @params: (nullable): the request object
 * @name: the field
 * @flags: whether it is optional
 * @out: (out): the value; unchanged if an optional field is absent
 * @error: return location for a %CONFAB_PROTOCOL_ERROR_BAD_REQUEST error
 *
 * Returns: %TRUE on success, or when an optional field is absent or null
 */
gboolean
confab_params_get_bool (JsonObject        *params,
                        const char        *name,
                        ConfabParamFlags   flags,
                        gboolean          *out,
                        GError           **error)
{
  gboolean missing;
  JsonNode *node = lookup_param (params, name, flags, &missing, error);

  if (node == NULL)
    return missing && (flags & CONFAB_PARAM_OPTIONAL) != 0;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (name, "a boolean", error);

  *out = json_node_get_boolean (node);
  return TRUE;
}

/**
 * confab_params_get_object:
 * @params: (nullable): the request object
 * @name: the field
 * @flags: whether it is optional
 * @out: (out) (transfer none): the object; unchanged if an optional field is absent
 * @error: return location for a %CONFAB_PROTOCOL_ERROR_BAD_REQUEST error
 *
 * Returns: %TRUE on success, or when an optional field is absent or null
 */
gboolean
confab_params_get_object (JsonObject        *params,
                          const char        *name,
                          ConfabParamFlags   flags,
                          JsonObject       **out,
                          GError           **error)
{
  gboolean missing;
  JsonNode *node = lookup_param (params, name, flags, &missing, error);

  if (node == NULL)
    return missing && (flags & CONFAB_PARAM_OPTIONAL) != 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (name, "an object", error);

  *out = json_node_get_object (node);
  return TRUE;
}

/**
 * confab_params_get_array:
 * @params: (nullable): the request object
 * @name: the field
 * @flags: whether it is optional
 * @max_length: the most elements allowed
 * @out: (out) (transfer none): the array; unchanged if an optional field is absent
 * @error: return location for a %CONFAB_PROTOCOL_ERROR_BAD_REQUEST error
 *
 * Returns: %TRUE on success, or when an optional field is absent or null
 */
gboolean
confab_params_get_array (JsonObject        *params,
                         const char        *name,
                         ConfabParamFlags   flags,
                         guint              max_length,
                         JsonArray        **out,
                         GError           **error)
{
  gboolean missing;
  JsonNode *node = lookup_param (params, name, flags, &missing, error);
  JsonArray *array;

  if (node == NULL)
    return missing && (flags & CONFAB_PARAM_OPTIONAL) != 0;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (name, "an array", error);

  array = json_node_get_array (node);
  if (json_array_get_length (array) > max_length)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "field '%s' has more than %u elements", name, max_length);
      return FALSE;
    }

  *out = array;
  return TRUE;
}

/**
 * confab_json_to_string:
 * @node: a JSON node
 * @length: (out) (optional): the length of the result
 *
 * Returns: (transfer full): compact JSON text
 */
char *
confab_json_to_string (JsonNode *node,
                       gsize    *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, length);
}

/**
 * confab_json_object_to_string:
 * @object: a JSON object
 * @length: (out) (optional): the length of the result
 *
 * Returns: (transfer full): compact JSON text
 */
char *
confab_json_object_to_string (JsonObject *object,
                              gsize      *length)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return confab_json_to_string (node, length);
}

static void
set_id (JsonObject *frame,
        const char *id)
{
  if (id != NULL)
    json_object_set_string_member (frame, "id", id);
  else
    json_object_set_null_member (frame, "id");
}

/**
 * confab_frame_response_ok:
 * @id: (nullable): the request id
 * @result: (nullable) (transfer none): the result; %NULL for `{}`
 * @length: (out) (optional): the length of the result
 *
 * Returns: (transfer full): `{"type":"response","id":…,"ok":true,"result":…}`
 */
char *
confab_frame_response_ok (const char *id,
                          JsonObject *result,
                          gsize      *length)
{
  g_autoptr(JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", "response");
  set_id (frame, id);
  json_object_set_boolean_member (frame, "ok", TRUE);
  json_object_set_object_member (frame, "result",
                                 result != NULL ? json_object_ref (result) : json_object_new ());
  return confab_json_object_to_string (frame, length);
}

/**
 * confab_frame_response_error:
 * @id: (nullable): the request id, %NULL if none could be read
 * @code: the error code
 * @message: a human-readable explanation
 * @extra: (nullable) (transfer none): more members of the error object
 *   (`fields`, `retry_after_ms`)
 * @length: (out) (optional): the length of the result
 *
 * Returns: (transfer full): `{"type":"response","id":…,"ok":false,"error":{…}}`
 */
char *
confab_frame_response_error (const char          *id,
                             ConfabProtocolError  code,
                             const char          *message,
                             JsonObject          *extra,
                             gsize               *length)
{
  g_autoptr(JsonObject) frame = json_object_new ();
  JsonObject *err = json_object_new ();

  json_object_set_string_member (err, "code", confab_protocol_error_to_string (code));
  json_object_set_string_member (err, "message", message != NULL ? message : "");
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &member, &node))
        json_object_set_member (err, member, json_node_copy (node));
    }

  json_object_set_string_member (frame, "type", "response");
  set_id (frame, id);
  json_object_set_boolean_member (frame, "ok", FALSE);
  json_object_set_object_member (frame, "error", err);
  return confab_json_object_to_string (frame, length);
}

/**
 * confab_protocol_error_from_gerror:
 * @error: any error
 *
 * Returns: the protocol code of @error; errors of other domains are `internal`
 */
ConfabProtocolError
confab_protocol_error_from_gerror (const GError *error)
{
  if (error != NULL && error->domain == CONFAB_PROTOCOL_ERROR)
    return (ConfabProtocolError) error->code;
  return CONFAB_PROTOCOL_ERROR_INTERNAL;
}

/**
 * confab_frame_response_gerror:
 * @id: (nullable): the request id
 * @error: the error to report
 * @length: (out) (optional): the length of the result
 *
 * Reports @error; errors outside %CONFAB_PROTOCOL_ERROR are reported as `internal` without
 * their text, which may name files or SQL.
 *
 * Returns: (transfer full): an error response
 */
char *
confab_frame_response_gerror (const char   *id,
                              const GError *error,
                              gsize        *length)
{
  ConfabProtocolError code = confab_protocol_error_from_gerror (error);
  const char *message = code == CONFAB_PROTOCOL_ERROR_INTERNAL && error->domain != CONFAB_PROTOCOL_ERROR
                          ? "internal error"
                          : error->message;

  return confab_frame_response_error (id, code, message, NULL, length);
}

/**
 * confab_frame_event:
 * @name: the event name
 * @seq: the stream position of a durable event, or 0 for an ephemeral one
 * @data: (nullable) (transfer none): the event data; %NULL for `{}`
 * @length: (out) (optional): the length of the result
 *
 * Returns: (transfer full): `{"type":"event","event":…,"seq":…,"data":…}`
 */
char *
confab_frame_event (const char *name,
                    gint64      seq,
                    JsonObject *data,
                    gsize      *length)
{
  g_autoptr(JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", "event");
  json_object_set_string_member (frame, "event", name);
  if (seq > 0)
    json_object_set_int_member (frame, "seq", seq);
  json_object_set_object_member (frame, "data",
                                 data != NULL ? json_object_ref (data) : json_object_new ());
  return confab_json_object_to_string (frame, length);
}

/**
 * confab_frame_request:
 * @type: the request name
 * @id: the request id
 * @params: (nullable) (transfer none): the parameters, copied into the frame
 * @length: (out) (optional): the length of the result
 *
 * Returns: (transfer full): `{"type":…,"id":…, …params}`
 */
char *
confab_frame_request (const char *type,
                      const char *id,
                      JsonObject *params,
                      gsize      *length)
{
  g_autoptr(JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", type);
  json_object_set_string_member (frame, "id", id);
  if (params != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init (&iter, params);
      while (json_object_iter_next (&iter, &member, &node))
        if (!g_str_equal (member, "type") && !g_str_equal (member, "id"))
          json_object_set_member (frame, member, json_node_copy (node));
    }
  return confab_json_object_to_string (frame, length);
}

/**
 * confab_frame_event_raw:
 * @name: the event name
 * @seq: the stream position of a durable event, or 0 for an ephemeral one
 * @data_json: the event data, already JSON text of one object
 * @length: (out) (optional): the length of the result
 *
 * Like confab_frame_event(), for data that is already text.
 *
 * Returns: (transfer full): the event frame
 */
char *
confab_frame_event_raw (const char *name,
                        gint64      seq,
                        const char *data_json,
                        gsize      *length)
{
  GString *out = g_string_sized_new (64 + strlen (data_json));
  ConfabJsonWriter writer;

  confab_json_writer_init (&writer, out);
  confab_json_writer_begin_object (&writer);
  confab_json_writer_key (&writer, "type");
  confab_json_writer_string (&writer, "event");
  confab_json_writer_key (&writer, "event");
  confab_json_writer_string (&writer, name);
  if (seq > 0)
    {
      confab_json_writer_key (&writer, "seq");
      confab_json_writer_int (&writer, seq);
    }
  confab_json_writer_key (&writer, "data");
  confab_json_writer_raw (&writer, data_json);
  confab_json_writer_end_object (&writer);

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

/**
 * confab_frame_response_ok_raw:
 * @id: (nullable): the request id
 * @result_json: the result, already JSON text of one object
 * @length: (out) (optional): the length of the result
 *
 * Like confab_frame_response_ok(), for a result that is already text.
 *
 * Returns: (transfer full): the response frame
 */
char *
confab_frame_response_ok_raw (const char *id,
                              const char *result_json,
                              gsize      *length)
{
  GString *out = g_string_sized_new (64 + strlen (result_json));
  ConfabJsonWriter writer;

  confab_json_writer_init (&writer, out);
  confab_json_writer_begin_object (&writer);
  confab_json_writer_key (&writer, "type");
  confab_json_writer_string (&writer, "response");
  confab_json_writer_key (&writer, "id");
  confab_json_writer_string (&writer, id);
  confab_json_writer_key (&writer, "ok");
  confab_json_writer_bool (&writer, TRUE);
  confab_json_writer_key (&writer, "result");
  confab_json_writer_raw (&writer, result_json);
  confab_json_writer_end_object (&writer);

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}
