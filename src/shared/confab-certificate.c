/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-certificate"

#include "config.h"

#include "confab-certificate.h"

/**
 * confab_certificate_fingerprint:
 * @certificate: a certificate
 *
 * The SHA-256 fingerprint of the certificate's DER form, as browsers show it: upper-case hex
 * byte pairs joined by colons. Server logs and the client's trust dialog use the same form, so
 * a person can compare them.
 *
 * Returns: (transfer full): the fingerprint
 */
char *
confab_certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  GString *out = g_string_sized_new (96);

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &digest_len);

  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);

  return g_string_free (out, FALSE);
}
