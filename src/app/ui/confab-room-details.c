/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-details"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-feature.h"
#include "confab-profiles.h"
#include "confab-room-details.h"
#include "confab-room-member.h"
#include "confab-room-rows.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-session.h"
#include "confab-ui-util.h"
#include "confab-validate.h"

struct _ConfabRoomDetails
{
  AdwPreferencesWindow  parent_instance;

  ConfabSession        *session;
  ConfabRoom           *room;
  GListModel           *members;
  GCancellable         *cancellable;
  gboolean              updating;

  AdwAvatar            *avatar;
  GtkLabel             *name_label;
  GtkLabel             *summary_label;
  GtkLabel             *topic_label;
  GtkWidget            *settings_group;
  GtkWidget            *invite_group;
  AdwEntryRow          *name_row;
  AdwEntryRow          *topic_row;
  GtkWidget            *public_row;
  GtkSwitch            *public_switch;
  AdwComboRow          *notify_row;
  AdwPreferencesGroup  *members_group;
  AdwEntryRow          *invite_row;
  GtkListBox           *members_list;
  GtkWidget            *leave_button;
};

G_DEFINE_FINAL_TYPE (ConfabRoomDetails, confab_room_details, ADW_TYPE_PREFERENCES_WINDOW)

static ConfabRooms *
get_rooms (ConfabRoomDetails *self)
{
  return confab_rooms_from_session (self->session);
}

static const char *
own_username (ConfabRoomDetails *self)
{
  return confab_session_get_username (self->session);
}

/* The own role, once the member list is loaded. */
static const char *
own_role (ConfabRoomDetails *self)
{
  ConfabRoomMember *me = confab_rooms_lookup_member (get_rooms (self),
                                                     confab_room_get_id (self->room),
                                                     own_username (self));

  return me != NULL ? confab_room_member_get_role (me) : NULL;
}

static gboolean
own_is_admin (ConfabRoomDetails *self)
{
  const char *role = own_role (self);

  return g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
}

static void
toast (ConfabRoomDetails *self,
       const char        *text)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
}

static void
request_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  reply = confab_feature_request_reply (CONFAB_FEATURE (object), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      toast (self, text);
    }
}

static void
update_room (ConfabRoomDetails *self)
{
  guint count = confab_room_get_member_count (self->room);
  g_autofree char *members = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member",
                                                           "%u members", count), count);
  /* Translators: "5 members · Private room". */
  g_autofree char *summary = g_strdup_printf (C_("room summary", "%s · %s"), members,
                                              confab_room_get_public (self->room)
                                              ? _("Public room") : _("Private room"));
  g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Member",
                                                         "%u Members", count), count);
  gboolean admin = own_is_admin (self);

  self->updating = TRUE;
  adw_avatar_set_text (self->avatar, confab_room_get_name (self->room));
  gtk_label_set_label (self->name_label, confab_room_get_name (self->room));
  gtk_label_set_label (self->summary_label, summary);
  gtk_label_set_label (self->topic_label, confab_room_get_topic (self->room));
  gtk_widget_set_visible (GTK_WIDGET (self->topic_label),
                          confab_room_get_topic (self->room)[0] != '\0');
  adw_preferences_group_set_title (self->members_group, title);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), confab_room_get_name (self->room));
  gtk_editable_set_text (GTK_EDITABLE (self->topic_row), confab_room_get_topic (self->room));
  gtk_switch_set_active (self->public_switch, confab_room_get_public (self->room));
  adw_combo_row_set_selected (self->notify_row, confab_room_get_notify_level (self->room));
  /* Only admins change the room; in a public room any member may invite, in a private one
   * its admins. */
  gtk_widget_set_visible (self->settings_group, admin);
  gtk_widget_set_visible (self->invite_group, admin || confab_room_get_public (self->room));
  self->updating = FALSE;
}

static void
on_name_apply (ConfabRoomDetails *self)
{
  confab_rooms_update_async (get_rooms (self), confab_room_get_id (self->room),
                             gtk_editable_get_text (GTK_EDITABLE (self->name_row)), NULL, NULL,
                             self->cancellable, request_done_cb, g_object_ref (self));
}

static void
on_topic_apply (ConfabRoomDetails *self)
{
  confab_rooms_update_async (get_rooms (self), confab_room_get_id (self->room), NULL,
                             gtk_editable_get_text (GTK_EDITABLE (self->topic_row)), NULL,
                             self->cancellable, request_done_cb, g_object_ref (self));
}

static void
on_public_toggled (ConfabRoomDetails *self)
{
  if (self->updating || gtk_switch_get_active (self->public_switch)
      == confab_room_get_public (self->room))
    return;
  confab_rooms_update_async (get_rooms (self), confab_room_get_id (self->room), NULL, NULL,
                             gtk_switch_get_active (self->public_switch) ? "public" : "private",
                             self->cancellable, request_done_cb, g_object_ref (self));
}

static void
on_notify_selected (ConfabRoomDetails *self)
{
  guint selected = adw_combo_row_get_selected (self->notify_row);

  if (self->updating || selected > CONFAB_ROOM_NOTIFY_NOTHING)
    return;
  confab_rooms_set_notify_level (get_rooms (self), confab_room_get_id (self->room),
                                 (ConfabRoomNotify) selected);
}

static void
invited_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;

  if (confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    {
      toast (self, _("Invitation sent"));
      gtk_editable_set_text (GTK_EDITABLE (self->invite_row), "");
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      toast (self, text);
    }
}

static void
on_invite_apply (ConfabRoomDetails *self)
{
  g_autofree char *username = confab_username_normalize (gtk_editable_get_text (
                                                           GTK_EDITABLE (self->invite_row)));

  if (!confab_username_is_valid (username))
    {
      toast (self, _("That is not a valid username."));
      return;
    }
  confab_rooms_invite_async (get_rooms (self), confab_room_get_id (self->room), username,
                             self->cancellable, invited_cb, g_object_ref (self));
}

static void
left_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;

  if (confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    gtk_window_close (GTK_WINDOW (self));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      toast (self, text);
    }
}

static void
on_leave_clicked (ConfabRoomDetails *self)
{
  confab_rooms_leave_async (get_rooms (self), confab_room_get_id (self->room), self->cancellable,
                            left_cb, g_object_ref (self));
}

static void
set_role_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  ConfabRoomDetails *self = CONFAB_ROOM_DETAILS (widget);
  const char *user, *role;

  g_variant_get (param, "(&s&s)", &user, &role);
  confab_rooms_set_role_async (get_rooms (self), confab_room_get_id (self->room), user, role,
                               self->cancellable, request_done_cb, g_object_ref (self));
}

static void
kick_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  ConfabRoomDetails *self = CONFAB_ROOM_DETAILS (widget);

  confab_rooms_kick_async (get_rooms (self), confab_room_get_id (self->room),
                           g_variant_get_string (param, NULL), self->cancellable,
                           request_done_cb, g_object_ref (self));
}

static void
add_role_item (GMenu      *menu,
               const char *label,
               const char *user,
               const char *role)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, "details.set-role",
                                           g_variant_new ("(ss)", user, role));
  g_menu_append_item (menu, item);
}

static void
update_member_subtitle (AdwActionRow *row)
{
  ConfabRoomMember *member = g_object_get_data (G_OBJECT (row), "member");
  ConfabContact *contact = confab_room_member_get_contact (member);
  g_autofree char *subtitle = NULL;

  subtitle = g_strdup_printf ("%s · %s", confab_room_role_label (
                                confab_room_member_get_role (member)),
                              confab_presence_label (contact != NULL
                                                     ? confab_contact_get_presence (contact)
                                                     : CONFAB_PRESENCE_OFFLINE));
  adw_action_row_set_subtitle (row, subtitle);
}

static GtkWidget *
create_member_row (gpointer item,
                   gpointer user_data)
{
  ConfabRoomDetails *self = user_data;
  ConfabRoomMember *member = item;
  const char *user = confab_room_member_get_username (member);
  const char *role = confab_room_member_get_role (member);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (32, confab_room_member_get_display_name (member), TRUE);
  const char *mine = own_role (self);
  gboolean owner = g_strcmp0 (mine, "owner") == 0;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_bind_property (member, "display-name", row, "title", G_BINDING_SYNC_CREATE);
  g_object_set_data_full (G_OBJECT (row), "member", g_object_ref (member), g_object_unref);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  update_member_subtitle (ADW_ACTION_ROW (row));
  if (confab_room_member_get_contact (member) != NULL)
    g_signal_connect_object (confab_room_member_get_contact (member), "notify::presence",
                             G_CALLBACK (update_member_subtitle), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (member, "notify::role", G_CALLBACK (update_member_subtitle), row,
                           G_CONNECT_SWAPPED);

  /* Admins manage members; only an owner touches owners and makes new ones. */
  if (own_is_admin (self) && g_strcmp0 (user, own_username (self)) != 0
      && (owner || g_strcmp0 (role, "owner") != 0))
    {
      g_autoptr(GMenu) menu = g_menu_new ();
      g_autoptr(GMenu) roles = g_menu_new ();
      g_autofree char *label = g_strdup_printf (_("Actions for %s"),
                                                confab_room_member_get_display_name (member));
      GtkWidget *button = gtk_menu_button_new ();

      if (g_strcmp0 (role, "admin") != 0)
        add_role_item (roles, _("Make Admin"), user, "admin");
      if (g_strcmp0 (role, "member") != 0)
        add_role_item (roles, _("Make Member"), user, "member");
      if (owner && g_strcmp0 (role, "owner") != 0)
        add_role_item (roles, _("Make Owner"), user, "owner");
      g_menu_append_section (menu, NULL, G_MENU_MODEL (roles));
      {
        g_autoptr(GMenu) kick = g_menu_new ();
        g_autoptr(GMenuItem) kick_item = g_menu_item_new (_("Remove From Room"), NULL);

        g_menu_item_set_action_and_target_value (kick_item, "details.kick",
                                                 g_variant_new_string (user));
        g_menu_append_item (kick, kick_item);
        g_menu_append_section (menu, NULL, G_MENU_MODEL (kick));
      }
      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  return row;
}

/* Roles decide what each row offers: the rows are made again when the members change. */
static void
on_members_changed (ConfabRoomDetails *self)
{
  gtk_list_box_bind_model (self->members_list, self->members, create_member_row, self, NULL);
  update_room (self);
}

static void
on_room_membership (ConfabRoomDetails *self)
{
  if (g_strcmp0 (confab_room_get_membership (self->room), "member") != 0)
    gtk_window_close (GTK_WINDOW (self));
}

static void
confab_room_details_dispose (GObject *object)
{
  ConfabRoomDetails *self = CONFAB_ROOM_DETAILS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* Nothing answers changes once the window goes. */
  self->updating = TRUE;
  if (self->room != NULL)
    g_signal_handlers_disconnect_by_data (self->room, self);
  if (self->members != NULL)
    g_signal_handlers_disconnect_by_data (self->members, self);
  if (self->members_list != NULL)
    gtk_list_box_bind_model (self->members_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->members);
  g_clear_object (&self->room);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_ROOM_DETAILS);

  G_OBJECT_CLASS (confab_room_details_parent_class)->dispose (object);
}

static void
confab_room_details_class_init (ConfabRoomDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_room_details_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-room-details.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, summary_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, topic_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, settings_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, invite_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, topic_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, public_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, public_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, notify_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, members_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, invite_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, members_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomDetails, leave_button);
  gtk_widget_class_bind_template_callback (widget_class, on_name_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_topic_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_public_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_notify_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_invite_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_leave_clicked);
  gtk_widget_class_install_action (widget_class, "details.set-role", "(ss)", set_role_action);
  gtk_widget_class_install_action (widget_class, "details.kick", "s", kick_action);
}

static void
confab_room_details_init (ConfabRoomDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

ConfabRoomDetails *
confab_room_details_new (GtkWindow     *parent,
                         ConfabSession *session,
                         ConfabRoom    *room)
{
  ConfabRoomDetails *self;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);
  g_return_val_if_fail (CONFAB_IS_ROOM (room), NULL);

  self = g_object_new (CONFAB_TYPE_ROOM_DETAILS, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  self->room = g_object_ref (room);
  self->members = g_object_ref (confab_rooms_get_members (get_rooms (self),
                                                          confab_room_get_id (room)));
  g_signal_connect_object (self->members, "items-changed", G_CALLBACK (on_members_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (room, "notify", G_CALLBACK (update_room), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (room, "notify::membership", G_CALLBACK (on_room_membership), self,
                           G_CONNECT_SWAPPED);
  on_members_changed (self);
  return self;
}
