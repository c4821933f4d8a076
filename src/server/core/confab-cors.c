/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-cors.h"

#include <string.h>

/* What a page may send and read. A request from an origin that is not listed gets no CORS
 * header at all, so the browser keeps the answer from the page. No credentials are involved:
 * the token travels in Authorization, which the page sets itself. */
#define ALLOWED_METHODS "GET, HEAD, POST, PATCH, DELETE, OPTIONS"
#define ALLOWED_HEADERS "Authorization, Content-Type, Tus-Resumable, Upload-Length, " \
        "Upload-Offset, Upload-Metadata, Upload-Defer-Length, If-None-Match, If-Range, Range"
#define EXPOSED_HEADERS "Location, Retry-After, ETag, Content-Range, Tus-Resumable, " \
        "Tus-Version, Tus-Extension, Tus-Max-Size, Upload-Offset, Upload-Length, " \
        "Upload-Metadata, Upload-Expires"
#define PREFLIGHT_MAX_AGE_S "600"

/* An origin as browsers send it: scheme "://" host [":" port], lower case, no path. */
gboolean
confab_cors_origin_is_valid (const char *origin)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (origin == NULL || *origin == '\0')
    return FALSE;
  for (const char *p = origin; *p != '\0'; p++)
    if (g_ascii_isupper (*p) || g_ascii_isspace (*p) || !g_ascii_isprint (*p))
      return FALSE;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return (g_str_equal (scheme, "http") || g_str_equal (scheme, "https")) &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
         g_uri_get_userinfo (uri) == NULL && *g_uri_get_path (uri) == '\0' &&
         g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL;
}

gboolean
confab_cors_origin_allowed (const ConfabConfig *config,
                            const char         *origin)
{
  if (origin == NULL || config->cors_origins == NULL)
    return FALSE;
  return g_strv_contains ((const char * const *) config->cors_origins, origin);
}

static const char *
allowed_origin_of (const ConfabConfig *config,
                   SoupServerMessage  *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  return confab_cors_origin_allowed (config, origin) ? origin : NULL;
}

void
confab_cors_add_headers (const ConfabConfig *config,
                         SoupServerMessage  *msg)
{
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin;

  /* The answer depends on Origin whether or not it is allowed. */
  if (config->cors_origins == NULL)
    return;
  soup_message_headers_append (response, "Vary", "Origin");
  origin = allowed_origin_of (config, msg);
  if (origin == NULL)
    return;
  soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (response, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
}

gboolean
confab_cors_answer_preflight (const ConfabConfig *config,
                              SoupServerMessage  *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

  if (!g_str_equal (soup_server_message_get_method (msg), "OPTIONS") ||
      soup_message_headers_get_one (request, "Access-Control-Request-Method") == NULL ||
      allowed_origin_of (config, msg) == NULL)
    return FALSE;

  /* confab_cors_add_headers() gave it the origin already. */
  soup_message_headers_replace (response, "Access-Control-Allow-Methods", ALLOWED_METHODS);
  soup_message_headers_replace (response, "Access-Control-Allow-Headers", ALLOWED_HEADERS);
  soup_message_headers_replace (response, "Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  return TRUE;
}
