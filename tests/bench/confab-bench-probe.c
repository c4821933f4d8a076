/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-bench-probe"

#include "config.h"

#include "confab-bench-probe.h"
#include "confab-conversation.h"
#include "confab-message-list.h"
#include "confab-window.h"

#include <gtk/gtk.h>
#include <stdio.h>

/* Times are g_get_monotonic_time() (CLOCK_MONOTONIC), the clock the benchmark reads too.
 *   out: first-frame T | selected T | rows-frame T N | end-frame T | top T N | scrolled T N
 *   in:  select CONV | scroll N | quit */

typedef enum
{
  SCROLL_NONE,
  SCROLL_UP,
  SCROLL_DOWN,
} ScrollPhase;

typedef struct
{
  ConfabWindow *window;
  GIOChannel   *input;
  guint         input_id;
  gboolean      first_frame_done;
  gboolean      waiting_rows;
  gboolean      waiting_end;
  ScrollPhase   phase;
  guint         scroll_total;
  guint         scroll_seen;   /* messages loaded so far on the way up */
  guint         at_end_ticks;
} Probe;

static void
report (const char *line)
{
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static GtkWidget *
find_list_view (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_list_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkListView *
message_list_view (Probe *probe)
{
  GtkWidget *view = GTK_WIDGET (confab_window_get_conversation_view (probe->window));

  return GTK_LIST_VIEW (find_list_view (view));
}

static ConfabMessageList *
message_list (Probe *probe)
{
  GtkSelectionModel *selection = gtk_list_view_get_model (message_list_view (probe));
  GListModel *model = NULL;

  if (selection != NULL)
    model = gtk_no_selection_get_model (GTK_NO_SELECTION (selection));

  return CONFAB_IS_MESSAGE_LIST (model) ? CONFAB_MESSAGE_LIST (model) : NULL;
}

static GtkAdjustment *
message_adjustment (Probe *probe)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (message_list_view (probe)));
}

static void
on_after_paint (GdkFrameClock *clock,
                Probe         *probe)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *line = NULL;

  if (!probe->first_frame_done && g_strcmp0 (confab_window_get_page (probe->window), "main") == 0)
    {
      GtkSelectionModel *model =
        gtk_list_view_get_model (confab_window_get_conversation_list (probe->window));

      if (model != NULL && g_list_model_get_n_items (G_LIST_MODEL (model)) > 0)
        {
          probe->first_frame_done = TRUE;
          line = g_strdup_printf ("first-frame %" G_GINT64_FORMAT, now);
          report (line);
        }
    }

  if (probe->waiting_rows || probe->waiting_end)
    {
      GtkWidget *view = GTK_WIDGET (message_list_view (probe));
      ConfabMessageList *list = message_list (probe);
      GtkAdjustment *adj = message_adjustment (probe);
      guint n = list ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0;

      if (n == 0 || !gtk_widget_get_mapped (view) || gtk_widget_get_first_child (view) == NULL)
        return;
      if (probe->waiting_rows)
        {
          probe->waiting_rows = FALSE;
          g_clear_pointer (&line, g_free);
          line = g_strdup_printf ("rows-frame %" G_GINT64_FORMAT " %u", now, n);
          report (line);
        }
      if (probe->waiting_end && gtk_adjustment_get_value (adj)
          >= gtk_adjustment_get_upper (adj)
          - gtk_adjustment_get_page_size (adj) - 1)
        {
          probe->waiting_end = FALSE;
          g_clear_pointer (&line, g_free);
          line = g_strdup_printf ("end-frame %" G_GINT64_FORMAT, now);
          report (line);
        }
    }
}

static void
on_realize (GtkWidget *widget,
            Probe     *probe)
{
  g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                    G_CALLBACK (on_after_paint), probe);
}

static void
on_messages_changed (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Probe      *probe)
{
  if (probe->phase == SCROLL_UP && position == 0)
    probe->scroll_seen += added;
}

/* Up to the oldest message (the view loads a page each time it nears the top), then down a
 * page a frame to the newest, so every row is bound on the way. */
static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  Probe *probe = user_data;
  ConfabMessageList *list = message_list (probe);
  GtkAdjustment *adj = message_adjustment (probe);
  double value = gtk_adjustment_get_value (adj);
  double page = gtk_adjustment_get_page_size (adj);
  double end = gtk_adjustment_get_upper (adj) - page;
  guint n = list ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0;
  g_autofree char *line = NULL;

  if (list == NULL)
    return G_SOURCE_CONTINUE;

  if (probe->phase == SCROLL_UP)
    {
      /* The list keeps a bounded window and, offline, cannot know that the cache's oldest
       * message is the conversation's: count what came in at the top. */
      if ((probe->scroll_seen >= probe->scroll_total || !confab_message_list_get_has_more (list))
          && value <= 0)
        {
          probe->phase = SCROLL_DOWN;
          line = g_strdup_printf ("top %" G_GINT64_FORMAT " %u", g_get_monotonic_time (), n);
          report (line);
        }
      else if (!confab_message_list_get_loading (list))
        /* At 0 already, setting 0 again would not tell the view to load. */
        gtk_adjustment_set_value (adj, value > 0 ? 0 : 1);
      return G_SOURCE_CONTINUE;
    }

  if (value >= end - 1 && !confab_message_list_get_has_newer (list)
      && !confab_message_list_get_loading (list))
    {
      if (++probe->at_end_ticks < 3)
        return G_SOURCE_CONTINUE;
      probe->phase = SCROLL_NONE;
      line = g_strdup_printf ("scrolled %" G_GINT64_FORMAT " %u", g_get_monotonic_time (), n);
      report (line);
      return G_SOURCE_REMOVE;
    }
  probe->at_end_ticks = 0;
  gtk_adjustment_set_value (adj, MIN (value + page, end));
  return G_SOURCE_CONTINUE;
}

static void
select_conversation (Probe      *probe,
                     const char *conv)
{
  GtkListView *sidebar = confab_window_get_conversation_list (probe->window);
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_list_view_get_model (sidebar));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (selection));
  g_autofree char *line = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabConversation) item = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (g_strcmp0 (confab_conversation_get_conv (item), conv) != 0)
        continue;
      probe->waiting_rows = probe->waiting_end = TRUE;
      line = g_strdup_printf ("selected %" G_GINT64_FORMAT, g_get_monotonic_time ());
      report (line);
      /* What a click on the row does. */
      gtk_single_selection_set_selected (selection, i);
      return;
    }
  report ("error no such conversation");
}

static gboolean
on_input (GIOChannel   *channel,
          GIOCondition  condition,
          gpointer      user_data)
{
  Probe *probe = user_data;
  g_autofree char *line = NULL;

  if (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    {
      probe->input_id = 0;
      return G_SOURCE_REMOVE;
    }
  g_strstrip (line);

  if (g_str_has_prefix (line, "select "))
    select_conversation (probe, line + strlen ("select "));
  else if (g_str_has_prefix (line, "scroll "))
    {
      ConfabMessageList *list = message_list (probe);

      probe->scroll_total = (guint) g_ascii_strtoull (line + strlen ("scroll "), NULL, 10);
      probe->scroll_seen = list ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0;
      if (list != NULL)
        g_signal_connect (list, "items-changed", G_CALLBACK (on_messages_changed), probe);
      probe->phase = SCROLL_UP;
      probe->at_end_ticks = 0;
      gtk_widget_add_tick_callback (GTK_WIDGET (message_list_view (probe)), scroll_tick_cb,
                                    probe, NULL);
    }
  else if (g_str_equal (line, "quit"))
    {
      GtkApplication *app = gtk_window_get_application (GTK_WINDOW (probe->window));

      g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
probe_free (Probe *probe)
{
  g_clear_handle_id (&probe->input_id, g_source_remove);
  g_clear_pointer (&probe->input, g_io_channel_unref);
  g_free (probe);
}

void
confab_bench_probe_attach (ConfabWindow *window)
{
  Probe *probe;

  g_return_if_fail (CONFAB_IS_WINDOW (window));

  probe = g_new0 (Probe, 1);
  probe->window = window;
  probe->input = g_io_channel_unix_new (0);
  probe->input_id = g_io_add_watch (probe->input, G_IO_IN | G_IO_HUP, on_input, probe);
  g_object_set_data_full (G_OBJECT (window), "confab-bench-probe", probe,
                          (GDestroyNotify) probe_free);
  g_signal_connect (window, "realize", G_CALLBACK (on_realize), probe);
}
