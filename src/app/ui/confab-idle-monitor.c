/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-idle-monitor"

#include "config.h"

#include "confab-idle-monitor.h"

#define MUTTER_NAME  "org.gnome.Mutter.IdleMonitor"
#define MUTTER_PATH  "/org/gnome/Mutter/IdleMonitor/Core"
#define MUTTER_IFACE "org.gnome.Mutter.IdleMonitor"

struct _ConfabIdleMonitor
{
  GObject             parent_instance;

  GtkWindow          *window;       /* weak */
  guint               timeout_ms;
  gboolean            idle;
  GCancellable       *cancellable;

  /* The session's monitor */
  GDBusConnection    *bus;
  guint               signal_id;
  guint               idle_watch;
  guint               active_watch;

  /* The window's events */
  GtkEventController *controller;
  gint64              last_input_us;
  guint               check_id;
};

enum
{
  PROP_0,
  PROP_IDLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabIdleMonitor, confab_idle_monitor, G_TYPE_OBJECT)

static void
set_idle (ConfabIdleMonitor *self,
          gboolean           idle)
{
  if (self->idle == idle)
    return;
  self->idle = idle;
  g_debug ("%s", idle ? "idle" : "active again");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE]);
}

/* --- The window's events -------------------------------------------------------------------- */

static gboolean
on_input (GtkEventControllerLegacy *controller,
          GdkEvent                 *event,
          ConfabIdleMonitor        *self)
{
  switch (gdk_event_get_event_type (event))
    {
    case GDK_MOTION_NOTIFY:
    case GDK_BUTTON_PRESS:
    case GDK_KEY_PRESS:
    case GDK_SCROLL:
    case GDK_TOUCH_BEGIN:
      self->last_input_us = g_get_monotonic_time ();
      set_idle (self, FALSE);
      break;
    default:
      break;
    }
  return GDK_EVENT_PROPAGATE;
}

static gboolean
check_cb (gpointer user_data)
{
  ConfabIdleMonitor *self = user_data;

  if (g_get_monotonic_time () - self->last_input_us >= (gint64) self->timeout_ms * 1000)
    set_idle (self, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
use_window_events (ConfabIdleMonitor *self)
{
  if (self->window == NULL || self->controller != NULL)
    return;
  self->controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (self->controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (self->controller, "event", G_CALLBACK (on_input), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->window), g_object_ref (self->controller));
  self->last_input_us = g_get_monotonic_time ();
  self->check_id = g_timeout_add (MAX (self->timeout_ms / 4, 50), check_cb, self);
}

/* --- The session's monitor ------------------------------------------------------------------ */

/* The id of a watch just added, or 0 (after the fallback to the window's events, if the
 * idle watch could not be added). Cancelled calls never reach @self: it may be gone. */
static guint
watch_added (GObject       *object,
             GAsyncResult  *result,
             gpointer       user_data,
             gboolean       idle_watch)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint id = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return 0;
  if (reply == NULL)
    {
      g_debug ("No session idle monitor (%s): the window's input events tell", error->message);
      if (idle_watch)
        use_window_events (user_data);
      return 0;
    }
  g_variant_get (reply, "(u)", &id);
  return id;
}

static void
idle_watch_added_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  guint id = watch_added (object, result, user_data, TRUE);

  if (id != 0)
    CONFAB_IDLE_MONITOR (user_data)->idle_watch = id;
}

static void
active_watch_added_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  guint id = watch_added (object, result, user_data, FALSE);

  if (id != 0)
    CONFAB_IDLE_MONITOR (user_data)->active_watch = id;
}

static void
add_watch (ConfabIdleMonitor *self,
           gboolean           idle_watch)
{
  g_dbus_connection_call (self->bus, MUTTER_NAME, MUTTER_PATH, MUTTER_IFACE,
                          idle_watch ? "AddIdleWatch" : "AddUserActiveWatch",
                          idle_watch ? g_variant_new ("(t)", (guint64) self->timeout_ms) : NULL,
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          self->cancellable,
                          idle_watch ? idle_watch_added_cb : active_watch_added_cb, self);
}

static void
on_watch_fired (GDBusConnection *bus,
                const char      *sender,
                const char      *path,
                const char      *iface,
                const char      *signal,
                GVariant        *params,
                gpointer         user_data)
{
  ConfabIdleMonitor *self = user_data;
  guint id = 0;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(u)")))
    return;
  g_variant_get (params, "(u)", &id);
  if (id != 0 && id == self->idle_watch)
    {
      set_idle (self, TRUE);
      /* A user-active watch fires once: one is added at each idle. */
      add_watch (self, FALSE);
    }
  else if (id != 0 && id == self->active_watch)
    {
      self->active_watch = 0;
      set_idle (self, FALSE);
    }
}

static void
bus_got_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);
  ConfabIdleMonitor *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (bus == NULL)
    {
      use_window_events (self);
      return;
    }
  self->bus = bus;
  self->signal_id = g_dbus_connection_signal_subscribe (bus, MUTTER_NAME, MUTTER_IFACE,
                                                        "WatchFired", MUTTER_PATH, NULL,
                                                        G_DBUS_SIGNAL_FLAGS_NONE,
                                                        on_watch_fired, self, NULL);
  add_watch (self, TRUE);
}

static void
remove_watch (ConfabIdleMonitor *self,
              guint              id)
{
  if (id != 0)
    g_dbus_connection_call (self->bus, MUTTER_NAME, MUTTER_PATH, MUTTER_IFACE, "RemoveWatch",
                            g_variant_new ("(u)", id), NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                            -1, NULL, NULL, NULL);
}

static void
confab_idle_monitor_dispose (GObject *object)
{
  ConfabIdleMonitor *self = CONFAB_IDLE_MONITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->bus != NULL)
    {
      if (self->signal_id != 0)
        g_dbus_connection_signal_unsubscribe (self->bus, self->signal_id);
      remove_watch (self, self->idle_watch);
      remove_watch (self, self->active_watch);
      self->signal_id = self->idle_watch = self->active_watch = 0;
      g_clear_object (&self->bus);
    }
  g_clear_handle_id (&self->check_id, g_source_remove);
  if (self->controller != NULL && self->window != NULL)
    gtk_widget_remove_controller (GTK_WIDGET (self->window), self->controller);
  g_clear_object (&self->controller);
  g_clear_weak_pointer (&self->window);

  G_OBJECT_CLASS (confab_idle_monitor_parent_class)->dispose (object);
}

static void
confab_idle_monitor_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabIdleMonitor *self = CONFAB_IDLE_MONITOR (object);

  switch (prop_id)
    {
    case PROP_IDLE:
      g_value_set_boolean (value, self->idle);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_idle_monitor_class_init (ConfabIdleMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_idle_monitor_dispose;
  object_class->get_property = confab_idle_monitor_get_property;

  properties[PROP_IDLE] =
    g_param_spec_boolean ("idle", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_idle_monitor_init (ConfabIdleMonitor *self)
{
  self->cancellable = g_cancellable_new ();
}

ConfabIdleMonitor *
confab_idle_monitor_new (GtkWindow *window,
                         guint      timeout_ms)
{
  ConfabIdleMonitor *self;

  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (timeout_ms > 0, NULL);

  self = g_object_new (CONFAB_TYPE_IDLE_MONITOR, NULL);
  g_set_weak_pointer (&self->window, window);
  self->timeout_ms = timeout_ms;
  g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, bus_got_cb, self);
  return self;
}

gboolean
confab_idle_monitor_get_idle (ConfabIdleMonitor *self)
{
  g_return_val_if_fail (CONFAB_IS_IDLE_MONITOR (self), FALSE);
  return self->idle;
}

gboolean
confab_idle_monitor_uses_session (ConfabIdleMonitor *self)
{
  g_return_val_if_fail (CONFAB_IS_IDLE_MONITOR (self), FALSE);
  return self->bus != NULL && self->controller == NULL;
}
