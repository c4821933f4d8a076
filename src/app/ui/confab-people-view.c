/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-people-view"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-contacts.h"
#include "confab-people-view.h"
#include "confab-person-row.h"
#include "confab-session.h"
#include "confab-ui-util.h"

struct _ConfabPeopleView
{
  GtkWidget      parent_instance;

  ConfabSession *session;
  GCancellable  *cancellable;
  GPtrArray     *group_rows;   /* rows added to requests_group and sent_group */
  GHashTable    *buttons;      /* "accept:<user>" / "decline:<user>" → GtkWidget (not owned) */
  GHashTable    *contact_rows; /* username → row (not owned) */

  GtkWidget     *scroller;
  GtkWidget     *add_button;
  AdwPreferencesGroup *requests_group;
  GtkWidget     *groups_box;
  AdwPreferencesGroup *sent_group;
  GtkWidget     *empty_page;
};

enum
{
  SIGNAL_PERSON_ACTIVATED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabPeopleView, confab_people_view, GTK_TYPE_WIDGET)

static ConfabContacts *
get_contacts (ConfabPeopleView *self)
{
  return confab_contacts_from_session (self->session);
}

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabPeopleView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, text);
    }
}

static void
on_respond_clicked (GtkButton        *button,
                    ConfabPeopleView *self)
{
  const char *username = g_object_get_data (G_OBJECT (button), "username");
  gboolean accept = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "accept"));

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  confab_contacts_respond_async (get_contacts (self), username, accept, self->cancellable,
                                 request_cb, g_object_ref (self));
}

static void
on_withdraw_clicked (GtkButton        *button,
                     ConfabPeopleView *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  confab_contacts_remove_async (get_contacts (self),
                                g_object_get_data (G_OBJECT (button), "username"),
                                self->cancellable, request_cb, g_object_ref (self));
}

static GtkWidget *
row_button (ConfabPeopleView *self,
            const char       *icon,
            const char       *label,
            const char       *username,
            GCallback         handler)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  confab_set_tooltip_and_label (button, label);
  g_object_set_data_full (G_OBJECT (button), "username", g_strdup (username), g_free);
  g_signal_connect_object (button, "clicked", handler, self, 0);
  return button;
}

static void
add_request_row (ConfabPeopleView *self,
                 ConfabContact    *contact,
                 gboolean          received)
{
  ConfabContacts *contacts = get_contacts (self);
  const char *username = confab_contact_get_username (contact);
  const char *name = confab_contact_get_display_name (contact);
  GtkWidget *row = confab_person_row_new (contact, CONFAB_PERSON_ROW_WORK);

  confab_person_row_set_note (row, confab_contacts_get_request_message (contacts, username));
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  if (received)
    {
      g_autofree char *accept_label = g_strdup_printf (_("Accept %s"), name);
      g_autofree char *decline_label = g_strdup_printf (_("Decline %s"), name);
      GtkWidget *accept = row_button (self, "object-select-symbolic", accept_label, username,
                                      G_CALLBACK (on_respond_clicked));
      GtkWidget *decline = row_button (self, "window-close-symbolic", decline_label, username,
                                       G_CALLBACK (on_respond_clicked));

      g_object_set_data (G_OBJECT (accept), "accept", GINT_TO_POINTER (TRUE));
      gtk_widget_remove_css_class (accept, "flat");
      gtk_widget_add_css_class (accept, "suggested-action");
      gtk_widget_add_css_class (accept, "circular");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), decline);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), accept);
      g_hash_table_insert (self->buttons, g_strconcat ("accept:", username, NULL), accept);
      g_hash_table_insert (self->buttons, g_strconcat ("decline:", username, NULL), decline);
      adw_preferences_group_add (self->requests_group, row);
    }
  else
    {
      g_autofree char *label = g_strdup_printf (_("Withdraw the request to %s"), name);

      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 row_button (self, "edit-undo-symbolic", label, username,
                                             G_CALLBACK (on_withdraw_clicked)));
      adw_preferences_group_add (self->sent_group, row);
    }
  g_ptr_array_add (self->group_rows, row);
}

static void
on_edit_response (AdwMessageDialog *dialog,
                  const char       *response,
                  ConfabPeopleView *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *username = g_object_get_data (G_OBJECT (dialog), "username");
  g_autofree char *group = NULL;

  if (self->session == NULL || g_str_equal (response, "cancel"))
    return;
  if (g_str_equal (response, "remove"))
    {
      confab_contacts_remove_async (get_contacts (self), username, self->cancellable, request_cb,
                                    g_object_ref (self));
      return;
    }
  group = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  confab_contacts_set_group_async (get_contacts (self), username, group, self->cancellable,
                                   request_cb, g_object_ref (self));
}

static void
on_edit_entry_activate (GtkEntry         *entry,
                        AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "save");
  gtk_window_close (GTK_WINDOW (dialog));
}

/* A contact's group (one's own, private), or ending the contact. */
static void
on_edit_clicked (GtkButton        *button,
                 ConfabPeopleView *self)
{
  const char *username = g_object_get_data (G_OBJECT (button), "username");
  const char *group = confab_contacts_get_group (get_contacts (self), username);
  ConfabContact *contact = g_object_get_data (G_OBJECT (button), "contact");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *entry = gtk_entry_new ();
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       confab_contact_get_display_name (contact),
                                                       _("Put the contact in a group of your "
                                                         "own; only you see it.")));
  g_object_set_data_full (G_OBJECT (dialog), "username", g_strdup (username), g_free);
  gtk_editable_set_text (GTK_EDITABLE (entry), group != NULL ? group : "");
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Group"));
  gtk_entry_set_max_length (GTK_ENTRY (entry), 64);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Group"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove",
                                    _("_Remove Contact"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (entry, "activate", G_CALLBACK (on_edit_entry_activate), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_edit_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_contact_row_activated (AdwActionRow     *row,
                          ConfabPeopleView *self)
{
  g_signal_emit (self, signals[SIGNAL_PERSON_ACTIVATED], 0,
                 g_object_get_data (G_OBJECT (row), "username"));
}

static int
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const char *ga = *(const char * const *) a;
  const char *gb = *(const char * const *) b;

  /* The ungrouped come last. */
  if (ga[0] == '\0' || gb[0] == '\0')
    return (ga[0] == '\0') - (gb[0] == '\0');
  return g_utf8_collate (ga, gb);
}

static void
rebuild (ConfabPeopleView *self)
{
  ConfabContacts *contacts = get_contacts (self);
  GListModel *list = confab_contacts_get_contacts (contacts);
  GListModel *pending_in = confab_contacts_get_pending_in (contacts);
  GListModel *pending_out = confab_contacts_get_pending_out (contacts);
  g_autoptr(GHashTable) groups = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GtkWidget *child;
  guint n = g_list_model_get_n_items (list);

  for (guint i = 0; i < self->group_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->group_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      if (group != NULL)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->group_rows, 0);
  g_hash_table_remove_all (self->buttons);
  g_hash_table_remove_all (self->contact_rows);
  while ((child = gtk_widget_get_first_child (self->groups_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->groups_box), child);

  for (guint i = 0; i < g_list_model_get_n_items (pending_in); i++)
    {
      g_autoptr(ConfabContact) contact = g_list_model_get_item (pending_in, i);

      add_request_row (self, contact, TRUE);
    }
  for (guint i = 0; i < g_list_model_get_n_items (pending_out); i++)
    {
      g_autoptr(ConfabContact) contact = g_list_model_get_item (pending_out, i);

      add_request_row (self, contact, FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->requests_group),
                          g_list_model_get_n_items (pending_in) > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->sent_group),
                          g_list_model_get_n_items (pending_out) > 0);

  /* One group per name the user gave, in order; the list keeps the server's order inside. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabContact) contact = g_list_model_get_item (list, i);
      const char *group = confab_contacts_get_group (contacts,
                                                     confab_contact_get_username (contact));

      group = group != NULL ? group : "";
      if (!g_hash_table_contains (groups, group))
        {
          g_hash_table_insert (groups, (gpointer) group, NULL);
          g_ptr_array_add (names, (gpointer) group);
        }
    }
  g_ptr_array_sort (names, compare_groups);
  for (guint g = 0; g < names->len; g++)
    {
      const char *name = g_ptr_array_index (names, g);
      GtkWidget *group = adw_preferences_group_new ();

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group),
                                       name[0] != '\0' ? name : _("Contacts"));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(ConfabContact) contact = g_list_model_get_item (list, i);
          const char *username = confab_contact_get_username (contact);
          const char *in = confab_contacts_get_group (contacts, username);
          g_autofree char *edit_label = NULL;
          GtkWidget *row, *edit_button;

          if (g_strcmp0 (in != NULL ? in : "", name) != 0)
            continue;
          edit_label = g_strdup_printf (_("Group or remove %s"),
                                        confab_contact_get_display_name (contact));
          row = confab_person_row_new (contact, CONFAB_PERSON_ROW_STATUS);
          edit_button = row_button (self, "document-edit-symbolic", edit_label, username,
                                    G_CALLBACK (on_edit_clicked));
          g_object_set_data_full (G_OBJECT (edit_button), "contact", g_object_ref (contact),
                                  g_object_unref);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), edit_button);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          g_signal_connect_object (row, "activated", G_CALLBACK (on_contact_row_activated), self,
                                   0);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
          g_hash_table_insert (self->contact_rows, g_strdup (username), row);
        }
      gtk_box_append (GTK_BOX (self->groups_box), group);
    }
  gtk_widget_set_visible (self->empty_page,
                          n == 0 && g_list_model_get_n_items (pending_in) == 0
                          && g_list_model_get_n_items (pending_out) == 0);
}

static void
confab_people_view_dispose (GObject *object)
{
  ConfabPeopleView *self = CONFAB_PEOPLE_VIEW (object);

  confab_people_view_set_session (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PEOPLE_VIEW);

  G_OBJECT_CLASS (confab_people_view_parent_class)->dispose (object);
}

static void
confab_people_view_finalize (GObject *object)
{
  ConfabPeopleView *self = CONFAB_PEOPLE_VIEW (object);

  g_ptr_array_unref (self->group_rows);
  g_hash_table_unref (self->buttons);
  g_hash_table_unref (self->contact_rows);

  G_OBJECT_CLASS (confab_people_view_parent_class)->finalize (object);
}

static void
confab_people_view_class_init (ConfabPeopleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_people_view_dispose;
  object_class->finalize = confab_people_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-people-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPeopleView, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabPeopleView, add_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPeopleView, requests_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPeopleView, groups_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabPeopleView, sent_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPeopleView, empty_page);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  signals[SIGNAL_PERSON_ACTIVATED] =
    g_signal_new ("person-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
confab_people_view_init (ConfabPeopleView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->group_rows = g_ptr_array_new ();
  self->buttons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->contact_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

ConfabPeopleView *
confab_people_view_new (void)
{
  return g_object_new (CONFAB_TYPE_PEOPLE_VIEW, NULL);
}

void
confab_people_view_set_session (ConfabPeopleView *self,
                                ConfabSession    *session)
{
  g_return_if_fail (CONFAB_IS_PEOPLE_VIEW (self));

  if (self->session == session)
    return;
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (get_contacts (self), self);
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  g_set_object (&self->session, session);
  if (session == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (get_contacts (self), "changed", G_CALLBACK (rebuild), self,
                           G_CONNECT_SWAPPED);
  rebuild (self);
}

GtkWidget *
confab_people_view_get_response_button (ConfabPeopleView *self,
                                        const char       *username,
                                        gboolean          accept)
{
  g_autofree char *key = g_strconcat (accept ? "accept:" : "decline:", username, NULL);

  g_return_val_if_fail (CONFAB_IS_PEOPLE_VIEW (self), NULL);
  return g_hash_table_lookup (self->buttons, key);
}

GtkWidget *
confab_people_view_get_contact_row (ConfabPeopleView *self,
                                    const char       *username)
{
  g_return_val_if_fail (CONFAB_IS_PEOPLE_VIEW (self), NULL);
  return g_hash_table_lookup (self->contact_rows, username);
}
