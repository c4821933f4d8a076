/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ConfabMessageText, the wrapped body of a message, in a real window under Xvfb: its sizes
 * against the font's, wrapping, a changed text or font, and the pixels it draws. */
#include "config.h"

#include <adwaita.h>

#include "confab-message-text.h"
#include "confab-test-util.h"

#define LONG_TEXT "The release notes are ready for review; the outbox section explains how " \
                  "messages written offline are sent in order once the connection is back, " \
                  "and the calls section lists what changed in the ring timeout."

typedef struct
{
  GtkWindow *window;
  GtkWidget *text;
} Fixture;

static gboolean
is_mapped (gpointer user_data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (user_data));
}

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  fx->window = GTK_WINDOW (gtk_window_new ());
  fx->text = confab_message_text_new ();
  gtk_widget_set_halign (fx->text, GTK_ALIGN_START);
  gtk_widget_set_valign (fx->text, GTK_ALIGN_START);
  gtk_window_set_child (fx->window, fx->text);
  gtk_window_set_default_size (fx->window, 800, 400);
  gtk_window_present (fx->window);
  g_assert_true (confab_test_wait_until (is_mapped, fx->text, CONFAB_TEST_TIMEOUT_MS));
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  gtk_window_destroy (fx->window);
}

static int
char_width (GtkWidget *widget)
{
  PangoContext *context = gtk_widget_get_pango_context (widget);
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int width = PANGO_PIXELS_CEIL (pango_font_metrics_get_approximate_char_width (metrics));

  pango_font_metrics_unref (metrics);
  return width;
}

/* What a one-paragraph PangoLayout of @text in @widget's font measures at @width (-1: none). */
static void
layout_size (GtkWidget  *widget,
             const char *text,
             int         width,
             int        *out_width,
             int        *out_height)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);

  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_width (layout, width < 0 ? -1 : width * PANGO_SCALE);
  pango_layout_get_pixel_size (layout, out_width, out_height);
}

static void
test_short_text (Fixture       *fx,
                 gconstpointer  data)
{
  int min, nat, min_h, nat_h, expect_w, expect_h;

  confab_message_text_set_text (CONFAB_MESSAGE_TEXT (fx->text), "Lunch at noon?");
  layout_size (fx->text, "Lunch at noon?", -1, &expect_w, &expect_h);

  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (nat, ==, expect_w);
  g_assert_cmpint (min, <=, nat);
  g_assert_cmpint (min, >, 0);

  /* Wider than the text: one line, as tall as the text. */
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, nat + 100, &min_h, &nat_h, NULL, NULL);
  g_assert_cmpint (min_h, ==, expect_h);
  g_assert_cmpint (nat_h, ==, expect_h);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, -1, &min_h, &nat_h, NULL, NULL);
  g_assert_cmpint (nat_h, ==, expect_h);
}

static void
test_long_text_wraps (Fixture       *fx,
                      gconstpointer  data)
{
  ConfabMessageText *text = CONFAB_MESSAGE_TEXT (fx->text);
  int cw = char_width (fx->text);
  int min, nat, h_wide, h_narrow, expect_w, expect_h, one_line;

  confab_message_text_set_max_width_chars (text, 40);
  confab_message_text_set_text (text, LONG_TEXT);

  /* Natural: no wider than 40 characters of the font; minimum: narrower still. */
  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (nat, ==, 40 * cw);
  g_assert_cmpint (min, <, nat);

  /* At that width it wraps exactly as a PangoLayout wrapped there does. */
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, nat, NULL, &h_wide, NULL, NULL);
  layout_size (fx->text, LONG_TEXT, nat, NULL, &expect_h);
  g_assert_cmpint (h_wide, ==, expect_h);
  layout_size (fx->text, LONG_TEXT, -1, NULL, &one_line);
  g_assert_cmpint (h_wide, >=, 3 * one_line);

  /* Offered more than 40 characters, it still wraps at 40: the lines it will have when
   * allocated its natural width. */
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, 3 * nat, NULL, &h_narrow, NULL, NULL);
  g_assert_cmpint (h_narrow, ==, h_wide);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, -1, NULL, &h_narrow, NULL, NULL);
  g_assert_cmpint (h_narrow, ==, h_wide);

  /* Narrower: more lines; back to the wide width: the same height as before. */
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, nat / 2, NULL, &h_narrow, NULL, NULL);
  layout_size (fx->text, LONG_TEXT, nat / 2, &expect_w, &expect_h);
  g_assert_cmpint (h_narrow, ==, expect_h);
  g_assert_cmpint (h_narrow, >, h_wide);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, nat, NULL, &h_wide, NULL, NULL);
  layout_size (fx->text, LONG_TEXT, nat, NULL, &expect_h);
  g_assert_cmpint (h_wide, ==, expect_h);

  /* Without a limit the natural width is the whole paragraph's. */
  confab_message_text_set_max_width_chars (text, -1);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
  layout_size (fx->text, LONG_TEXT, -1, &expect_w, NULL);
  g_assert_cmpint (nat, ==, expect_w);
}

static void
test_text_change (Fixture       *fx,
                  gconstpointer  data)
{
  ConfabMessageText *text = CONFAB_MESSAGE_TEXT (fx->text);
  int nat_short, nat_long, h_one, h_two;

  confab_message_text_set_text (text, "ok");
  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat_short, NULL, NULL);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, -1, NULL, &h_one, NULL, NULL);
  g_assert_cmpstr (confab_message_text_get_text (text), ==, "ok");

  confab_message_text_set_text (text, "okay then, see you at three\nin room B");
  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat_long, NULL, NULL);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, -1, NULL, &h_two, NULL, NULL);
  g_assert_cmpint (nat_long, >, nat_short);
  g_assert_cmpint (h_two, >, h_one);

  /* NULL is the empty text. */
  confab_message_text_set_text (text, NULL);
  g_assert_cmpstr (confab_message_text_get_text (text), ==, "");
}

typedef struct
{
  GtkWidget *widget;
  int        width;
} WiderThan;

static gboolean
allocated_wider (gpointer user_data)
{
  WiderThan *wider = user_data;

  return gtk_widget_get_width (wider->widget) > wider->width;
}

/* A larger font from CSS reaches the measurements: nothing stale is kept. */
static void
test_font_change (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
  WiderThan wider = { fx->text, 0 };
  int before, after;

  confab_message_text_set_text (CONFAB_MESSAGE_TEXT (fx->text), "Lunch at noon?");
  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &before, NULL, NULL);

  gtk_css_provider_load_from_data (provider, ".huge { font-size: 40px; }", -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_widget_add_css_class (fx->text, "huge");
  /* The style is recomputed on the next frame; the widget must follow it then. */
  wider.width = 2 * before;
  g_assert_true (confab_test_wait_until (allocated_wider, &wider, CONFAB_TEST_TIMEOUT_MS));
  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &after, NULL, NULL);
  g_assert_cmpint (after, >, 2 * before);
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (),
                                                 GTK_STYLE_PROVIDER (provider));
}

typedef struct
{
  GtkWidget *widget;
  int        ink_columns;  /* columns with a dark pixel */
  int        ink_rows;
} Ink;

/* Draws the widget with the cairo renderer and counts the columns and rows with text in them. */
static void
read_ink (Ink *ink)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (ink->widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GskRenderer) renderer = gsk_cairo_renderer_new ();
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  int width = gtk_widget_get_width (ink->widget);
  int height = gtk_widget_get_height (ink->widget);
  g_autofree guchar *pixels = g_malloc0 ((gsize) width * height * 4);
  g_autofree gboolean *columns = g_new0 (gboolean, width);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  g_assert_true (gsk_renderer_realize (renderer, NULL, &error));
  g_assert_no_error (error);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_download (texture, pixels, (gsize) width * 4);
  gsk_renderer_unrealize (renderer);

  ink->ink_columns = ink->ink_rows = 0;
  for (int y = 0; y < height; y++)
    {
      gboolean row = FALSE;

      for (int x = 0; x < width; x++)
        {
          guchar *p = pixels + ((gsize) y * width + x) * 4;

          /* Premultiplied: any opaque-enough text pixel has a high alpha. */
          if (p[3] > 128)
            row = columns[x] = TRUE;
        }
      ink->ink_rows += row;
    }
  for (int x = 0; x < width; x++)
    ink->ink_columns += columns[x];
}

static gboolean
has_width (gpointer user_data)
{
  Fixture *fx = user_data;

  return gtk_widget_get_width (fx->text) == 30 * char_width (fx->text);
}

/* As a message bubble: no wider than its limit, wrapped at the width it got. */
static void
test_draws_wrapped (Fixture       *fx,
                    gconstpointer  data)
{
  ConfabMessageText *text = CONFAB_MESSAGE_TEXT (fx->text);
  Ink ink = { fx->text, 0, 0 };
  int one_line;

  confab_message_text_set_max_width_chars (text, 30);
  confab_message_text_set_text (text, LONG_TEXT);
  g_assert_true (confab_test_wait_until (has_width, fx, CONFAB_TEST_TIMEOUT_MS));
  layout_size (fx->text, "Lunch", -1, NULL, &one_line);

  read_ink (&ink);
  /* Several lines of text across most of the width, none of it past the width. */
  g_assert_cmpint (ink.ink_columns, >, gtk_widget_get_width (fx->text) * 3 / 4);
  g_assert_cmpint (ink.ink_columns, <=, gtk_widget_get_width (fx->text));
  g_assert_cmpint (ink.ink_rows, >, 3 * one_line / 2);
  g_assert_cmpint (gtk_widget_get_height (fx->text), >=, 4 * one_line);
}

typedef struct
{
  GtkWidget *text;
  GtkWidget *bubble;
} Bubble;

static gboolean
bubble_allocated (gpointer user_data)
{
  Bubble *b = user_data;

  return gtk_widget_get_width (b->text) > 0 && gtk_widget_get_height (b->bubble) > 0;
}

/* As in a conversation: the column asks the bubble (halign start) for its height at the
 * column's width, then gives it only its natural width. The text must fit the bubble. */
static void
test_in_bubble (Fixture       *fx,
                gconstpointer  data)
{
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  Bubble b = { confab_message_text_new (), gtk_box_new (GTK_ORIENTATION_VERTICAL, 0) };
  int needed;

  confab_message_text_set_max_width_chars (CONFAB_MESSAGE_TEXT (b.text), 30);
  confab_message_text_set_text (CONFAB_MESSAGE_TEXT (b.text), LONG_TEXT);
  gtk_widget_set_halign (b.bubble, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (b.bubble), b.text);
  gtk_box_append (GTK_BOX (column), b.bubble);
  gtk_window_set_child (fx->window, column);
  g_assert_true (confab_test_wait_until (bubble_allocated, &b, CONFAB_TEST_TIMEOUT_MS));

  g_assert_cmpint (gtk_widget_get_width (column), >, 2 * gtk_widget_get_width (b.bubble));
  g_assert_cmpint (gtk_widget_get_width (b.text), <=, 30 * char_width (b.text));
  layout_size (b.text, LONG_TEXT, gtk_widget_get_width (b.text), NULL, &needed);
  g_assert_cmpint (gtk_widget_get_height (b.text), >=, needed);
  g_assert_cmpint (gtk_widget_get_height (b.bubble), >=, needed);
}

static gboolean
on_activate_link (ConfabMessageText *text,
                  const char        *uri,
                  char             **out)
{
  g_free (*out);
  *out = g_strdup (uri);
  return TRUE;
}

static gboolean
is_allocated_wide (gpointer user_data)
{
  return gtk_widget_get_width (GTK_WIDGET (user_data)) > 300;
}

static gboolean
is_allocated_narrow (gpointer user_data)
{
  return gtk_widget_get_width (GTK_WIDGET (user_data)) > 0
         && gtk_widget_get_width (GTK_WIDGET (user_data)) <= 240;
}

/* A click on a link opens it (::activate-link); elsewhere in the text it does nothing. */
static void
test_links_click (Fixture       *fx,
                  gconstpointer  data)
{
  ConfabMessageText *text = CONFAB_MESSAGE_TEXT (fx->text);
  g_autoptr(GListModel) controllers = NULL;
  g_autofree char *opened = NULL;
  GtkGesture *click = NULL;
  const char *hit = NULL;
  double link_x = -1, plain_x = -1;

  confab_message_text_set_text (text, "Notes: https://wiki.example.com/Release_(2026). Ask "
                                "mailto:ann@example.com");
  g_assert_cmpuint (confab_message_text_get_n_links (text), ==, 2);
  g_assert_cmpstr (confab_message_text_get_link (text, 0), ==,
                   "https://wiki.example.com/Release_(2026)");
  g_assert_cmpstr (confab_message_text_get_link (text, 1), ==, "mailto:ann@example.com");
  g_signal_connect (text, "activate-link", G_CALLBACK (on_activate_link), &opened);

  /* Find a point on the first line over the link and one over "Notes". */
  g_assert_true (confab_test_wait_until (is_allocated_wide, fx->text, CONFAB_TEST_TIMEOUT_MS));
  for (double x = 1; x < gtk_widget_get_width (fx->text) && (link_x < 0 || plain_x < 0); x += 2)
    {
      const char *uri = confab_message_text_get_link_at (text, x, 4);

      if (uri != NULL && link_x < 0)
        {
          link_x = x;
          hit = uri;
        }
      else if (uri == NULL && plain_x < 0)
        plain_x = x;
    }
  g_assert_cmpfloat (link_x, >, plain_x);
  g_assert_cmpstr (hit, ==, "https://wiki.example.com/Release_(2026)");

  controllers = gtk_widget_observe_controllers (fx->text);
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && click == NULL; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        click = GTK_GESTURE (controller);
    }
  g_assert_nonnull (click);

  g_signal_emit_by_name (click, "pressed", 1, plain_x, 4.0);
  g_signal_emit_by_name (click, "released", 1, plain_x, 4.0);
  g_assert_null (opened);
  g_signal_emit_by_name (click, "pressed", 1, link_x, 4.0);
  g_signal_emit_by_name (click, "released", 1, link_x, 4.0);
  g_assert_cmpstr (opened, ==, "https://wiki.example.com/Release_(2026)");
}

/* A URL longer than the line breaks inside: the text never gets wider than offered. */
static void
test_long_url_wraps (Fixture       *fx,
                     gconstpointer  data)
{
  ConfabMessageText *text = CONFAB_MESSAGE_TEXT (fx->text);
  g_autoptr(GString) url = g_string_new ("https://files.example.com/");
  int min, one_line, height;

  for (guint i = 0; i < 20; i++)
    g_string_append (url, "quarterly-report-draft-");
  confab_message_text_set_text (text, url->str);
  g_assert_cmpuint (confab_message_text_get_n_links (text), ==, 1);

  gtk_widget_measure (fx->text, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  g_assert_cmpint (min, <=, 240);
  gtk_widget_set_size_request (fx->text, -1, -1);
  gtk_widget_set_hexpand (fx->text, FALSE);
  gtk_window_set_default_size (fx->window, 240, 400);
  gtk_widget_set_halign (fx->text, GTK_ALIGN_FILL);
  gtk_window_set_resizable (fx->window, FALSE);
  gtk_widget_set_size_request (GTK_WIDGET (fx->window), 240, -1);
  g_assert_true (confab_test_wait_until (is_allocated_narrow, fx->text, CONFAB_TEST_TIMEOUT_MS));

  layout_size (fx->text, "x", -1, NULL, &one_line);
  gtk_widget_measure (fx->text, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (fx->text),
                      NULL, &height, NULL, NULL);
  g_assert_cmpint (height, >=, 3 * one_line);
  /* The end of the link, on a later line, is still the link. */
  g_assert_cmpstr (confab_message_text_get_link_at (text, 4, height - one_line / 2.0), ==,
                   url->str);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();

  g_test_add ("/confab/message-text/short", Fixture, NULL, fixture_set_up, test_short_text,
              fixture_tear_down);
  g_test_add ("/confab/message-text/long-wraps", Fixture, NULL, fixture_set_up,
              test_long_text_wraps, fixture_tear_down);
  g_test_add ("/confab/message-text/text-change", Fixture, NULL, fixture_set_up,
              test_text_change, fixture_tear_down);
  g_test_add ("/confab/message-text/font-change", Fixture, NULL, fixture_set_up,
              test_font_change, fixture_tear_down);
  g_test_add ("/confab/message-text/draws-wrapped", Fixture, NULL, fixture_set_up,
              test_draws_wrapped, fixture_tear_down);
  g_test_add ("/confab/message-text/in-bubble", Fixture, NULL, fixture_set_up, test_in_bubble,
              fixture_tear_down);
  g_test_add ("/confab/message-text/links-click", Fixture, NULL, fixture_set_up,
              test_links_click, fixture_tear_down);
  g_test_add ("/confab/message-text/long-url-wraps", Fixture, NULL, fixture_set_up,
              test_long_url_wraps, fixture_tear_down);

  return confab_test_run ();
}
