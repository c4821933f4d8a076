/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-tls"

#include "config.h"

#include "confab-tls.h"
#include "confab-certificate.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <glib/gstdio.h>
#include <string.h>

#define CERT_VALIDITY_DAYS (10 * 365)

static gboolean
gnutls_failed (int          rc,
               const char  *what,
               GError     **error)
{
  if (rc >= 0)
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (rc));
  return TRUE;
}

static gboolean
write_datum (const char      *path,
             gnutls_datum_t  *datum,
             int              mode,
             GError         **error)
{
  return g_file_set_contents_full (path, (const char *) datum->data, datum->size,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   mode, error);
}

/**
 * confab_tls_generate_self_signed:
 * @cert_path: where the PEM certificate goes
 * @key_path: where the PEM private key goes (mode 0600)
 * @error: return location for an error
 *
 * Makes an ECDSA P-256 key and a self-signed certificate for this host, valid for names that
 * clients on this machine use (localhost, 127.0.0.1, ::1) and the host name. Clients pin it by
 * its fingerprint, so the names matter less than the key.
 */
gboolean
confab_tls_generate_self_signed (const char  *cert_path,
                                 const char  *key_path,
                                 GError     **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t cert_pem = { NULL, 0 };
  gnutls_datum_t key_pem = { NULL, 0 };
  const char *hostname = g_get_host_name ();
  guint8 serial[16];
  const guint8 ipv4_loopback[4] = { 127, 0, 0, 1 };
  guint8 ipv6_loopback[16] = { 0 };
  time_t now = time (NULL);
  gboolean ok = FALSE;
  int rc;

  ipv6_loopback[15] = 1;
  gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f; /* a positive serial */

  if (gnutls_failed (gnutls_x509_privkey_init (&key), "key", error)
      || gnutls_failed (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                      GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                      0), "key generation", error)
      || gnutls_failed (gnutls_x509_crt_init (&crt), "certificate", error))
    goto out;

  rc = gnutls_x509_crt_set_version (crt, 3);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_activation_time (crt, now - 3600);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_expiration_time (crt, now + (time_t) CERT_VALIDITY_DAYS * 86400);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname,
                                        strlen (hostname));
  if (rc >= 0)
    rc = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "Confab",
                                        strlen ("Confab"));
  if (rc >= 0)
    rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, hostname,
                                               strlen (hostname), GNUTLS_FSAN_APPEND);
  if (rc >= 0 && g_strcmp0 (hostname, "localhost") != 0)
    rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost",
                                               strlen ("localhost"), GNUTLS_FSAN_APPEND);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, ipv4_loopback,
                                               sizeof ipv4_loopback, GNUTLS_FSAN_APPEND);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, ipv6_loopback,
                                               sizeof ipv6_loopback, GNUTLS_FSAN_APPEND);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_key (crt, key);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_basic_constraints (crt, 0, -1);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  if (rc >= 0)
    rc = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0);
  if (gnutls_failed (rc, "certificate fields", error))
    goto out;

  if (gnutls_failed (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cert_pem),
                     "certificate export", error)
      || gnutls_failed (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                           GNUTLS_PKCS_PLAIN, &key_pem),
                        "key export", error))
    goto out;

  /* The key first, so a certificate never exists without its key. */
  if (!write_datum (key_path, &key_pem, 0600, error)
      || !write_datum (cert_path, &cert_pem, 0644, error))
    goto out;

  ok = TRUE;

out:
  if (key_pem.data != NULL)
    {
      gnutls_memset (key_pem.data, 0, key_pem.size);
      gnutls_free (key_pem.data);
    }
  gnutls_free (cert_pem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

/* Makes the certificate on first start when none is configured; says where it is. */
static gboolean
resolve_certificate (const char  *data_dir,
                     const char  *cert_path,
                     const char  *key_path,
                     char       **out_cert,
                     char       **out_key,
                     GError     **error)
{
  g_autofree char *tls_dir = g_build_filename (data_dir, "tls", NULL);

  if (cert_path != NULL)
    {
      *out_cert = g_strdup (cert_path);
      *out_key = g_strdup (key_path);
      return TRUE;
    }

  *out_cert = g_build_filename (tls_dir, "cert.pem", NULL);
  *out_key = g_build_filename (tls_dir, "key.pem", NULL);
  if (g_file_test (*out_cert, G_FILE_TEST_EXISTS) && g_file_test (*out_key, G_FILE_TEST_EXISTS))
    return TRUE;

  if (g_mkdir_with_parents (tls_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", tls_dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!confab_tls_generate_self_signed (*out_cert, *out_key, error))
    return FALSE;
  g_message ("created a self-signed certificate at %s", *out_cert);
  return TRUE;
}

/**
 * confab_tls_context_new:
 * @data_dir: the server's data directory
 * @cert_path: (nullable): a configured certificate (with its chain), or %NULL for
 *   `<data_dir>/tls/cert.pem`, made on first start
 * @key_path: (nullable): its key, or %NULL for `<data_dir>/tls/key.pem`
 * @priority: a GnuTLS priority string
 * @error: return location for an error
 *
 * Returns: (transfer full): what every TLS connection of the server is made with
 */
ConfabTlsContext *
confab_tls_context_new (const char  *data_dir,
                        const char  *cert_path,
                        const char  *key_path,
                        const char  *priority,
                        GError     **error)
{
  g_autoptr(ConfabTlsContext) context = g_new0 (ConfabTlsContext, 1);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *fingerprint = NULL;
  const char *error_pos = NULL;
  int rc;

  rc = gnutls_priority_init (&context->priority, priority, &error_pos);
  if (rc < 0)
    {
      context->priority = NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "[tls] priority is not a valid GnuTLS priority string (at '%s')",
                   error_pos != NULL ? error_pos : priority);
      return NULL;
    }

  if (!resolve_certificate (data_dir, cert_path, key_path, &cert, &key, error))
    return NULL;
  /* Read once through GIO too: its errors name the file, and the fingerprint is logged. */
  certificate = g_tls_certificate_new_from_files (cert, key, error);
  if (certificate == NULL)
    return NULL;

  if (gnutls_failed (gnutls_certificate_allocate_credentials (&context->credentials),
                     "credentials", error))
    {
      context->credentials = NULL;
      return NULL;
    }
  rc = gnutls_certificate_set_x509_key_file2 (context->credentials, cert, key,
                                              GNUTLS_X509_FMT_PEM, NULL, 0);
  if (rc < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "cannot load %s with %s: %s",
                   cert, key, gnutls_strerror (rc));
      return NULL;
    }

  fingerprint = confab_certificate_fingerprint (certificate);
  g_message ("TLS certificate SHA-256 fingerprint: %s", fingerprint);
  return g_steal_pointer (&context);
}

void
confab_tls_context_free (ConfabTlsContext *context)
{
  if (context == NULL)
    return;
  if (context->credentials != NULL)
    gnutls_certificate_free_credentials (context->credentials);
  if (context->priority != NULL)
    gnutls_priority_deinit (context->priority);
  g_free (context);
}
