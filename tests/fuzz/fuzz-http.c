/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-http"

#include "config.h"

#include "fuzz-server-util.h"

#include <stdint.h>
#include <string.h>

/* Bytes straight off the network into confabd's HTTP side: libsoup's request parser, the body
 * limits, the routes and their JSON bodies, against a real store in a temporary directory.
 * Whatever comes in, the server must not crash, leak or read out of bounds, and what it writes
 * back is an HTTP response or nothing. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) response = fuzz_server_http (data, size);
  gsize length = 0;
  const char *text = g_bytes_get_data (response, &length);

  if (length > 0)
    g_assert_true (length >= 12 && memcmp (text, "HTTP/1.", 7) == 0);
  return 0;
}
