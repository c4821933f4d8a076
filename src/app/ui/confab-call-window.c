/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-call.h"
#include "confab-call-devices-group.h"
#include "confab-call-manager.h"
#include "confab-call-row.h"
#include "confab-call-window-private.h"
#include "confab-media-devices.h"
#include "confab-message.h"
#include "confab-mirrored-paintable.h"
#include "confab-ui-util.h"

/* The peer's video fills the window (their avatar while there is none), the own camera is a
 * small mirrored preview, and the controls float at the bottom. */

#define CLOSE_AFTER_END_MS 2000

enum
{
  PROP_0,
  PROP_CALL,
  PROP_PEER_NAME,
  PROP_MUTED,
  PROP_CAMERA_OFF,
  N_PROPS
};

struct _ConfabCallWindow
{
  AdwWindow       parent_instance;

  ConfabCall     *call;
  char           *peer_name;
  char           *status;
  gboolean        showing_video;
  guint           close_id;
  gulong          invalidate_id;

  GtkStack       *stage;
  AdwAvatar      *peer_avatar;
  GtkLabel       *peer_label;
  GtkPicture     *remote_picture;
  GtkPicture     *local_picture;
  GtkLabel       *refused_label;
  AdwWindowTitle *window_title;
  GtkWidget      *camera_button;
  GtkWidget      *mute_button;
  GtkWidget      *devices_button;
  GtkWidget      *devices_group;
};

G_DEFINE_FINAL_TYPE (ConfabCallWindow, confab_call_window, ADW_TYPE_WINDOW)

static GParamSpec *properties[N_PROPS];

static gboolean
has_video (ConfabCallWindow *self)
{
  return (confab_call_get_media (self->call) & CONFAB_CALL_MEDIA_VIDEO) != 0;
}

static void
set_status (ConfabCallWindow *self,
            const char       *status)
{
  g_free (self->status);
  self->status = g_strdup (status);
  adw_window_title_set_subtitle (self->window_title, status);
}

static void
update_status (ConfabCallWindow *self)
{
  ConfabCallState state = confab_call_get_state (self->call);
  g_autofree char *duration = NULL;

  switch (state)
    {
    case CONFAB_CALL_STATE_NEW:
      /* The caller hears it ring; the callee waits for the caller's offer. */
      set_status (self, confab_call_get_role (self->call) == CONFAB_CALL_ROLE_CALLER
                        ? _("Calling…") : _("Connecting…"));
      break;

    case CONFAB_CALL_STATE_CONNECTING:
      set_status (self, _("Connecting…"));
      break;

    case CONFAB_CALL_STATE_CONNECTED:
      duration = confab_call_format_duration (confab_call_get_duration (self->call));
      set_status (self, duration);
      break;

    case CONFAB_CALL_STATE_RECONNECTING:
      set_status (self, _("Reconnecting…"));
      break;

    case CONFAB_CALL_STATE_ENDED:
    default:
      {
        const char *why = confab_call_end_reason_text (confab_call_get_end_reason (self->call),
                                                       confab_call_get_role (self->call));
        g_autofree char *text = NULL;

        if (why != NULL)
          /* Translators: the call window's status after a call; %s says why, as "Busy". */
          text = g_strdup_printf (_("Call ended: %s"), why);
        set_status (self, text != NULL ? text : _("Call ended"));
      }
      break;
    }
}

static void
update_stage (ConfabCallWindow *self)
{
  gboolean video = self->showing_video && confab_call_get_state (self->call)
                   != CONFAB_CALL_STATE_ENDED;

  gtk_stack_set_visible_child_name (self->stage, video ? "video" : "avatar");
  gtk_widget_set_visible (GTK_WIDGET (self->local_picture),
                          confab_call_get_camera_on (self->call)
                          && confab_call_get_state (self->call) != CONFAB_CALL_STATE_ENDED);
}

static void
update_controls (ConfabCallWindow *self)
{
  gboolean ended = confab_call_get_state (self->call) == CONFAB_CALL_STATE_ENDED;
  gboolean camera_on = confab_call_get_camera_on (self->call);
  gboolean muted = confab_call_get_muted (self->call);
  gboolean microphone_failed = confab_call_get_microphone_failed (self->call) && !ended;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "call.hangup", !ended);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "call.mute", !ended);
  /* Without a camera (or in an audio call) there is nothing to turn on. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "call.camera-off",
                                 !ended && has_video (self)
                                 && confab_media_devices_has_camera (
                                   confab_call_devices_group_get_devices (
                                     CONFAB_CALL_DEVICES_GROUP (self->devices_group))));
  gtk_widget_set_visible (self->camera_button, has_video (self));

  /* A microphone that cannot be used shows it: the peer hears nothing until another one is
   * chosen under Devices. */
  gtk_button_set_icon_name (GTK_BUTTON (self->mute_button),
                            muted || microphone_failed ? "microphone-disabled-symbolic"
                                                       : "audio-input-microphone-symbolic");
  if (microphone_failed)
    gtk_widget_add_css_class (self->mute_button, "error");
  else
    gtk_widget_remove_css_class (self->mute_button, "error");
  confab_set_tooltip_and_label (self->mute_button,
                                microphone_failed ? _("Microphone Not Working")
                                : muted ? _("Unmute Microphone") : _("Mute Microphone"));
  gtk_button_set_icon_name (GTK_BUTTON (self->camera_button),
                            camera_on ? "camera-video-symbolic" : "camera-disabled-symbolic");
  confab_set_tooltip_and_label (self->camera_button,
                                camera_on ? _("Turn Camera Off") : _("Turn Camera On"));
}

/* The peer's side refused part of the call (its app answered without audio or without
 * video): said for as long as the call goes on. */
static void
update_refused (ConfabCallWindow *self)
{
  ConfabCallMedia refused = confab_call_get_refused_media (self->call);
  gboolean ended = confab_call_get_state (self->call) == CONFAB_CALL_STATE_ENDED;
  g_autofree char *text = NULL;

  if ((refused & CONFAB_CALL_MEDIA_AUDIO) != 0 && (refused & CONFAB_CALL_MEDIA_VIDEO) != 0)
    /* Translators: %s is the other person's name. */
    text = g_strdup_printf (_("%s’s app refused both audio and video"), self->peer_name);
  else if ((refused & CONFAB_CALL_MEDIA_AUDIO) != 0)
    /* Translators: %s is the other person's name; the call goes on with video. */
    text = g_strdup_printf (_("%s’s app refused audio: video only"), self->peer_name);
  else if ((refused & CONFAB_CALL_MEDIA_VIDEO) != 0)
    /* Translators: %s is the other person's name; the call goes on with audio. */
    text = g_strdup_printf (_("%s’s app refused video: audio only"), self->peer_name);

  gtk_label_set_label (self->refused_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->refused_label), text != NULL && !ended);
}

static gboolean
close_cb (gpointer user_data)
{
  ConfabCallWindow *self = user_data;

  self->close_id = 0;
  gtk_window_destroy (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

static void
on_call_state_changed (ConfabCallWindow *self)
{
  update_status (self);
  update_stage (self);
  update_controls (self);
  update_refused (self);

  if (confab_call_get_state (self->call) == CONFAB_CALL_STATE_ENDED && self->close_id == 0)
    self->close_id = g_timeout_add (CLOSE_AFTER_END_MS, close_cb, self);
}

static void
on_call_media_notify (ConfabCallWindow *self)
{
  update_stage (self);
  update_controls (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_OFF]);
}

/* The first frame of the peer's video replaces their avatar. */
static void
on_remote_frame (ConfabCallWindow *self)
{
  if (self->showing_video)
    return;

  self->showing_video = TRUE;
  update_stage (self);
}

/* The preview keeps a fifth of the window's width at 4:3 in the bottom corner, whatever the
 * camera's own size. */
static gboolean
on_get_child_position (GtkOverlay       *overlay,
                       GtkWidget        *widget,
                       GdkRectangle     *allocation,
                       ConfabCallWindow *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (overlay));
  int height = gtk_widget_get_height (GTK_WIDGET (overlay));

  if (widget != GTK_WIDGET (self->local_picture))
    return FALSE;

  allocation->width = CLAMP (width / 5, 120, 320);
  allocation->height = allocation->width * 3 / 4;
  allocation->x = MAX (0, width - allocation->width - 18);
  allocation->y = MAX (0, height - allocation->height - 96);
  return TRUE;
}

static void
hangup_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (widget);

  confab_call_hangup (self->call);
}

static gboolean
confab_call_window_close_request (GtkWindow *window)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (window);

  /* Closing the window hangs up. */
  if (self->call != NULL)
    confab_call_hangup (self->call);

  return GTK_WINDOW_CLASS (confab_call_window_parent_class)->close_request (window);
}

static void
confab_call_window_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CALL:
      g_value_set_object (value, self->call);
      break;

    case PROP_PEER_NAME:
      g_value_set_string (value, self->peer_name);
      break;

    case PROP_MUTED:
      g_value_set_boolean (value, self->call != NULL && confab_call_get_muted (self->call));
      break;

    case PROP_CAMERA_OFF:
      g_value_set_boolean (value, self->call != NULL && !confab_call_get_camera_on (self->call));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_window_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CALL:
      self->call = g_value_dup_object (value);
      break;

    case PROP_PEER_NAME:
      self->peer_name = g_value_dup_string (value);
      break;

    case PROP_MUTED:
      if (self->call != NULL)
        confab_call_set_muted (self->call, g_value_get_boolean (value));
      break;

    case PROP_CAMERA_OFF:
      if (self->call != NULL)
        confab_call_set_camera_enabled (self->call, !g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_window_constructed (GObject *object)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (object);
  g_autofree char *title = NULL;
  g_autoptr(ConfabMediaDevices) devices = NULL;
  GdkPaintable *remote;

  G_OBJECT_CLASS (confab_call_window_parent_class)->constructed (object);

  g_assert (self->call != NULL);
  if (self->peer_name == NULL)
    self->peer_name = g_strdup (confab_call_get_peer (self->call));

  /* Translators: the title of the call window; %s is the other person's name. */
  title = g_strdup_printf (_("Call with %s"), self->peer_name);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_title (self->window_title, self->peer_name);
  adw_avatar_set_text (self->peer_avatar, self->peer_name);
  gtk_label_set_label (self->peer_label, self->peer_name);

  g_object_get (self->call, "devices", &devices, NULL);
  confab_call_devices_group_set_devices (CONFAB_CALL_DEVICES_GROUP (self->devices_group),
                                         devices);

  remote = confab_call_get_remote_video (self->call);
  gtk_picture_set_paintable (self->remote_picture, remote);
  if (confab_call_get_local_video (self->call) != NULL)
    {
      g_autoptr(GdkPaintable) mirrored = NULL;

      mirrored = confab_mirrored_paintable_new (confab_call_get_local_video (self->call));
      gtk_picture_set_paintable (self->local_picture, mirrored);
    }
  if (remote != NULL && has_video (self))
    self->invalidate_id = g_signal_connect_swapped (remote, "invalidate-contents",
                                                    G_CALLBACK (on_remote_frame), self);

  g_signal_connect_object (self->call, "state-changed", G_CALLBACK (on_call_state_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::duration", G_CALLBACK (update_status), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::muted", G_CALLBACK (on_call_media_notify), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::camera-on", G_CALLBACK (on_call_media_notify),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::microphone-failed",
                           G_CALLBACK (on_call_media_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::refused-media", G_CALLBACK (update_refused),
                           self, G_CONNECT_SWAPPED);

  on_call_state_changed (self);
}

static void
confab_call_window_dispose (GObject *object)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (object);

  g_clear_handle_id (&self->close_id, g_source_remove);
  if (self->call != NULL && self->invalidate_id != 0)
    g_clear_signal_handler (&self->invalidate_id, confab_call_get_remote_video (self->call));
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_CALL_WINDOW);
  g_clear_object (&self->call);

  G_OBJECT_CLASS (confab_call_window_parent_class)->dispose (object);
}

static void
confab_call_window_finalize (GObject *object)
{
  ConfabCallWindow *self = CONFAB_CALL_WINDOW (object);

  g_free (self->peer_name);
  g_free (self->status);

  G_OBJECT_CLASS (confab_call_window_parent_class)->finalize (object);
}

static void
confab_call_window_class_init (ConfabCallWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->get_property = confab_call_window_get_property;
  object_class->set_property = confab_call_window_set_property;
  object_class->constructed = confab_call_window_constructed;
  object_class->dispose = confab_call_window_dispose;
  object_class->finalize = confab_call_window_finalize;
  window_class->close_request = confab_call_window_close_request;

  properties[PROP_CALL] =
    g_param_spec_object ("call", NULL, NULL, CONFAB_TYPE_CALL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_NAME] =
    g_param_spec_string ("peer-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA_OFF] =
    g_param_spec_boolean ("camera-off", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CONFAB_TYPE_CALL_DEVICES_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-call-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, stage);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, peer_avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, peer_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, remote_picture);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, local_picture);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, refused_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, camera_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, mute_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, devices_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallWindow, devices_group);
  gtk_widget_class_bind_template_callback (widget_class, on_get_child_position);

  gtk_widget_class_install_action (widget_class, "call.hangup", NULL, hangup_action);
  gtk_widget_class_install_property_action (widget_class, "call.mute", "muted");
  gtk_widget_class_install_property_action (widget_class, "call.camera-off", "camera-off");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "call.mute",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_call_window_init (ConfabCallWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_add_css_class (GTK_WIDGET (self), "call-window");
}

ConfabCallWindow *
confab_call_window_new (GtkApplication *application,
                        ConfabCall     *call,
                        const char     *peer_name)
{
  g_return_val_if_fail (CONFAB_IS_CALL (call), NULL);

  return g_object_new (CONFAB_TYPE_CALL_WINDOW,
                       "application", application,
                       "call", call,
                       "peer-name", peer_name,
                       NULL);
}

ConfabCall *
confab_call_window_get_call (ConfabCallWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_WINDOW (self), NULL);

  return self->call;
}

const char *
confab_call_window_get_status (ConfabCallWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_WINDOW (self), NULL);

  return self->status;
}

gboolean
confab_call_window_get_showing_video (ConfabCallWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_WINDOW (self), FALSE);

  return self->showing_video;
}

const char *
confab_call_end_reason_text (const char     *reason,
                             ConfabCallRole  role)
{
  if (reason == NULL)
    return NULL;

  if (g_str_equal (reason, "declined"))
    return role == CONFAB_CALL_ROLE_CALLER ? _("Declined") : NULL;
  if (g_str_equal (reason, "busy"))
    return C_("call", "Busy");
  if (g_str_equal (reason, "timeout"))
    return _("No answer");
  if (g_str_equal (reason, CONFAB_CALL_END_UNAVAILABLE))
    return _("Not available");
  if (g_str_equal (reason, "answered_elsewhere"))
    return _("Answered on another device");
  if (g_str_equal (reason, CONFAB_CALL_END_CONNECTION_LOST))
    return _("Connection lost");
  if (g_str_equal (reason, CONFAB_CALL_END_CONNECTION_FAILED))
    return _("Could not connect");
  if (g_str_equal (reason, CONFAB_CALL_END_MEDIA_ERROR))
    return _("Camera or microphone failed");
  if (g_str_equal (reason, CONFAB_CALL_END_INVITE_FAILED))
    return _("Could not call");
  if (g_str_equal (reason, "cancelled"))
    return role == CONFAB_CALL_ROLE_CALLEE ? _("Cancelled") : NULL;

  return NULL;
}
