/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ui-util"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-client.h"
#include "confab-error.h"
#include "confab-ui-util.h"

static GDateTime *
local_from_ms (gint64 ts_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ts_ms / 1000);

  return utc ? g_date_time_to_local (utc) : g_date_time_new_now_local ();
}

static gint
days_ago (GDateTime *dt)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDate) today = g_date_new_dmy (g_date_time_get_day_of_month (now),
                                           g_date_time_get_month (now),
                                           g_date_time_get_year (now));
  g_autoptr(GDate) day = g_date_new_dmy (g_date_time_get_day_of_month (dt),
                                         g_date_time_get_month (dt),
                                         g_date_time_get_year (dt));

  return g_date_days_between (day, today);
}

gboolean
confab_same_day (gint64 a_ms,
                 gint64 b_ms)
{
  g_autoptr(GDateTime) a = local_from_ms (a_ms);
  g_autoptr(GDateTime) b = local_from_ms (b_ms);

  return g_date_time_get_year (a) == g_date_time_get_year (b)
         && g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

char *
confab_format_clock (gint64 ts_ms)
{
  g_autoptr(GDateTime) dt = local_from_ms (ts_ms);

  /* Translators: time of a message, see the GDateTime format; %H:%M is 14:05. */
  return g_date_time_format (dt, _("%H:%M"));
}

char *
confab_format_local_time (const char *timezone,
                          gint64      now_ms)
{
  g_autoptr(GTimeZone) zone = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) there = NULL;
  g_autoptr(GDateTime) here = NULL;
  g_autofree char *clock = NULL;
  gint64 minutes;
  const char *sign;

  if (timezone == NULL || timezone[0] == '\0'
      || (zone = g_time_zone_new_identifier (timezone)) == NULL)
    return NULL;
  now = g_date_time_new_from_unix_utc (now_ms / 1000);
  there = g_date_time_to_timezone (now, zone);
  here = g_date_time_to_local (now);
  clock = g_date_time_format (there, _("%H:%M"));
  minutes = (g_date_time_get_utc_offset (there) - g_date_time_get_utc_offset (here))
            / G_TIME_SPAN_MINUTE;
  if (minutes == 0)
    return g_steal_pointer (&clock);
  sign = minutes > 0 ? "+" : "−";
  minutes = ABS (minutes);
  if (minutes % 60 == 0)
    /* Translators: a colleague's local time and how far it is ahead of (+) or behind (−)
     * one's own: "14:05 (+2 h)". */
    return g_strdup_printf (_("%s (%s%d h)"), clock, sign, (int) (minutes / 60));
  /* Translators: as "14:05 (+2 h)", for zones apart by hours and minutes: "14:35 (+5:30 h)". */
  return g_strdup_printf (_("%s (%s%d:%02d h)"), clock, sign, (int) (minutes / 60),
                          (int) (minutes % 60));
}

/* For the conversation list: the time today, "Yesterday", the weekday within a week, else the
 * date. */
char *
confab_format_time_short (gint64 ts_ms)
{
  g_autoptr(GDateTime) dt = NULL;
  gint ago;

  if (ts_ms <= 0)
    return g_strdup ("");

  dt = local_from_ms (ts_ms);
  ago = days_ago (dt);

  if (ago <= 0)
    return confab_format_clock (ts_ms);
  if (ago == 1)
    return g_strdup (_("Yesterday"));
  if (ago < 7)
    /* Translators: abbreviated weekday in the conversation list, see GDateTime format. */
    return g_date_time_format (dt, _("%a"));

  /* Translators: short date in the conversation list, see GDateTime format; 21/11/26. */
  return g_date_time_format (dt, _("%d/%m/%y"));
}

/* For the day separators between messages. */
char *
confab_format_day (gint64 ts_ms)
{
  g_autoptr(GDateTime) dt = local_from_ms (ts_ms);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  gint ago = days_ago (dt);

  if (ago <= 0)
    return g_strdup (_("Today"));
  if (ago == 1)
    return g_strdup (_("Yesterday"));
  if (g_date_time_get_year (dt) == g_date_time_get_year (now))
    /* Translators: day separator in a conversation, see GDateTime format; Monday, 16 November. */
    return g_date_time_format (dt, _("%A, %-d %B"));

  /* Translators: day separator for an earlier year, see GDateTime format. */
  return g_date_time_format (dt, _("%A, %-d %B %Y"));
}

const char *
confab_presence_label (ConfabPresence presence)
{
  switch (presence)
    {
    case CONFAB_PRESENCE_ONLINE:
      return _("Online");
    case CONFAB_PRESENCE_AWAY:
      return _("Away");
    case CONFAB_PRESENCE_BUSY:
      return _("Busy");
    case CONFAB_PRESENCE_INVISIBLE:
      return _("Invisible");
    case CONFAB_PRESENCE_OFFLINE:
    default:
      return _("Offline");
    }
}

const char *
confab_presence_css_class (ConfabPresence presence)
{
  switch (presence)
    {
    case CONFAB_PRESENCE_ONLINE:
      return "online";
    case CONFAB_PRESENCE_AWAY:
      return "away";
    case CONFAB_PRESENCE_BUSY:
      return "busy";
    case CONFAB_PRESENCE_INVISIBLE:
    case CONFAB_PRESENCE_OFFLINE:
    default:
      return "offline";
    }
}

/* Turns an error of the engine or the server into a sentence for the user; @result (may be
 * NULL) carries the server's details, such as the wait of a rate limit. */
char *
confab_error_to_user_text (const GError *error,
                           GAsyncResult *result)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == CONFAB_PROTOCOL_ERROR)
    {
      switch ((ConfabProtocolError) error->code)
        {
        case CONFAB_PROTOCOL_ERROR_UNAUTHORIZED:
          return g_strdup (_("Wrong username or password."));
        case CONFAB_PROTOCOL_ERROR_FORBIDDEN:
          return g_strdup (_("This account is disabled or the action is not allowed."));
        case CONFAB_PROTOCOL_ERROR_NOT_FOUND:
          return g_strdup (_("Not found."));
        case CONFAB_PROTOCOL_ERROR_CONFLICT:
          return g_strdup (_("This username is already taken."));
        case CONFAB_PROTOCOL_ERROR_TOO_LARGE:
          return g_strdup (_("This is too large for the server."));
        case CONFAB_PROTOCOL_ERROR_RATE_LIMITED:
          {
            gint64 ms = result ? confab_client_result_get_retry_after_ms (result) : -1;

            if (ms > 0)
              {
                guint seconds = (guint) ((ms + 999) / 1000);

                return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                     "Too many attempts. Try again in %u second.",
                                                     "Too many attempts. Try again in %u seconds.",
                                                     seconds),
                                        seconds);
              }
            return g_strdup (_("Too many attempts. Try again later."));
          }
        case CONFAB_PROTOCOL_ERROR_UNAVAILABLE:
          return g_strdup (_("The server is temporarily unavailable. Try again later."));
        case CONFAB_PROTOCOL_ERROR_INVALID:
        case CONFAB_PROTOCOL_ERROR_BAD_REQUEST:
          return g_strdup (_("The server did not accept this input."));
        case CONFAB_PROTOCOL_ERROR_INTERNAL:
        default:
          return g_strdup (_("The server had an internal error. Try again later."));
        }
    }

  if (error->domain == CONFAB_CLIENT_ERROR)
    {
      switch ((ConfabClientError) error->code)
        {
        case CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE:
          return g_strdup (_("The server's certificate is not trusted."));
        case CONFAB_CLIENT_ERROR_CERTIFICATE_CHANGED:
          return g_strdup (_("The server's certificate has changed since the last connection. "
                             "Someone may be intercepting the connection; the connection "
                             "was refused. Ask your administrator."));
        case CONFAB_CLIENT_ERROR_BAD_URL:
          return g_strdup (_("This is not a valid server address. An unencrypted address is "
                             "only allowed for this computer."));
        case CONFAB_CLIENT_ERROR_BAD_RESPONSE:
          return g_strdup (_("The server answered in a way Confab does not understand. Is it "
                             "a Confab server?"));
        case CONFAB_CLIENT_ERROR_NOT_CONNECTED:
        default:
          return g_strdup (_("Not connected to the server."));
        }
    }

  if (error->domain == G_RESOLVER_ERROR)
    return g_strdup (_("The server address could not be found. Check the address."));

  if (error->domain == G_TLS_ERROR)
    return g_strdup (_("A secure connection to the server could not be made."));

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_CONNECTION_CLOSED:
          return g_strdup (_("The server cannot be reached. Check the address and your "
                             "network connection."));
        default:
          break;
        }
    }

  /* Last resort: libsoup and GIO messages are translated by their own domains. */
  return g_strdup (error->message);
}

/* The start of @text, at most @max_chars characters, with an ellipsis when cut. A one-line label
 * that ellipsizes shows a few dozen characters but shapes its whole text to measure it; a long
 * message's preview costs more than the rest of its row. */
char *
confab_text_head (const char *text,
                  guint       max_chars)
{
  const char *end = text;
  g_autofree char *head = NULL;

  if (text == NULL)
    return NULL;
  for (guint n = 0; *end != '\0' && n < max_chars; n++)
    end = g_utf8_next_char (end);
  if (*end == '\0')
    return g_strdup (text);
  head = g_strndup (text, end - text);
  return g_strconcat (head, "…", NULL);
}

/* An icon-only control says in words what it does: the same words to the pointer (tooltip) and
 * to the screen reader (accessible label). */
void
confab_set_tooltip_and_label (GtkWidget  *widget,
                              const char *text)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_widget_set_tooltip_text (widget, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
}

/* A row of a GtkListView says what it shows: the list item around it is what takes the focus
 * and what a screen reader reads, so it carries the same label as the row. */
void
confab_set_row_label (GtkWidget  *row,
                      const char *text)
{
  g_return_if_fail (GTK_IS_WIDGET (row));

  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  for (GtkWidget *ancestor = gtk_widget_get_parent (row); ancestor != NULL;
       ancestor = gtk_widget_get_parent (ancestor))
    if (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (ancestor))
        == GTK_ACCESSIBLE_ROLE_LIST_ITEM)
      {
        gtk_accessible_update_property (GTK_ACCESSIBLE (ancestor), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        text, -1);
        return;
      }
}
