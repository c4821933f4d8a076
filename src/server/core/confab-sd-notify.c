/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sd-notify"

#include "config.h"

#include "confab-sd-notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

gboolean
confab_sd_notify (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  socklen_t length;
  gsize path_length;
  ssize_t sent;
  int fd;

  g_return_val_if_fail (state != NULL, FALSE);

  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return FALSE;
  path_length = strlen (path);
  if (path_length >= sizeof address.sun_path)
    {
      g_message ("NOTIFY_SOCKET is too long for a socket address: %s", path);
      return FALSE;
    }
  memcpy (address.sun_path, path, path_length);
  /* An abstract address starts with a NUL and is exactly as long as its name. */
  if (path[0] == '@')
    address.sun_path[0] = '\0';
  length = offsetof (struct sockaddr_un, sun_path) + path_length + (path[0] == '/' ? 1 : 0);

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_message ("cannot notify the service manager: %s", g_strerror (errno));
      return FALSE;
    }
  do
    sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &address,
                   length);
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    g_message ("cannot notify the service manager at %s: %s", path, g_strerror (errno));
  close (fd);
  return sent >= 0;
}

guint64
confab_sd_watchdog_usec (void)
{
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 value = 0;
  guint64 for_pid = 0;

  if (usec == NULL || !g_ascii_string_to_unsigned (usec, 10, 1, G_MAXUINT64, &value, NULL))
    return 0;
  /* Meant for another process (a wrapper's child): not for this one. */
  if (pid != NULL
      && (!g_ascii_string_to_unsigned (pid, 10, 1, G_MAXINT, &for_pid, NULL)
          || for_pid != (guint64) getpid ()))
    return 0;
  return value;
}
