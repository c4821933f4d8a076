/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-text"

#include "config.h"

#include "confab-links.h"
#include "confab-message-text.h"

/* The wrapped text of a message, laid out as few times as possible.
 *
 * A wrapped GtkLabel (GTK 4.8) lays its whole text out again for each of its minimum width, its
 * natural width, its height for a width and its allocation, and measures the width of a
 * character (itself a layout of a sample text) each time it is asked; a conversation's rows are
 * asked many times while the list settles. This widget lays the text out once unwrapped, which
 * gives its natural size, and once more at the allocated width only when the text is wider
 * than that. Both are kept until the text, the width or the font changes. */

/* The narrowest a message asks for: long words break inside when the window is narrower. */
#define MIN_WIDTH_CHARS 10

enum {
  ACTIVATE_LINK,
  N_SIGNALS
};

enum {
  PROP_0,
  PROP_TEXT,
  PROP_MAX_WIDTH_CHARS,
  N_PROPS
};

struct _ConfabMessageText
{
  GtkWidget    parent_instance;

  char        *text;
  int          max_width_chars;

  PangoLayout *layout;
  guint        serial;          /* of the widget's PangoContext when the sizes below were taken */
  gboolean     measured;
  int          natural_width;   /* unwrapped, in pixels */
  int          natural_height;
  int          char_width;      /* an average character, in pixels */
  int          wrapped_width;   /* the width the layout is wrapped at now, or -1: unwrapped */
  int          wrapped_height;  /* its height there */

  GArray      *links;           /* of ConfabLink, in the text */
  GdkRGBA      link_color;      /* the links' color in the layout's attributes */
  int          pressed_link;    /* the link a click started on, or -1 */
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabMessageText, confab_message_text, GTK_TYPE_WIDGET)

/* The width of a character, which a GtkLabel recomputes on every measure: every message of a
 * conversation shares one font, so the last answer is kept for the next widget that asks. */
static int
char_width_for (PangoContext *context)
{
  static PangoFontDescription *cached_font;
  static PangoLanguage *cached_language;
  static double cached_resolution;
  static PangoFontMap *cached_map;  /* compared, never dereferenced */
  static int cached_width;
  const PangoFontDescription *font = pango_context_get_font_description (context);
  PangoLanguage *language = pango_context_get_language (context);
  double resolution = pango_cairo_context_get_resolution (context);
  PangoFontMap *map = pango_context_get_font_map (context);
  PangoFontMetrics *metrics;

  if (cached_font != NULL && pango_font_description_equal (cached_font, font)
      && cached_language == language && cached_resolution == resolution && cached_map == map)
    return cached_width;

  metrics = pango_context_get_metrics (context, font, language);
  cached_width = MAX (1, PANGO_PIXELS_CEIL (pango_font_metrics_get_approximate_char_width (metrics)));
  pango_font_metrics_unref (metrics);

  g_clear_pointer (&cached_font, pango_font_description_free);
  cached_font = pango_font_description_copy (font);
  cached_language = language;
  cached_resolution = resolution;
  cached_map = map;
  return cached_width;
}

static PangoLayout *
ensure_layout (ConfabMessageText *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  guint serial = pango_context_get_serial (context);

  if (self->layout == NULL)
    {
      self->layout = pango_layout_new (context);
      pango_layout_set_wrap (self->layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_text (self->layout, self->text ? self->text : "", -1);
      self->measured = FALSE;
    }

  /* The font, the scale or the font options changed: every size is stale. */
  if (self->measured && serial != self->serial)
    self->measured = FALSE;

  if (!self->measured)
    {
      PangoRectangle logical;

      pango_layout_set_width (self->layout, -1);
      pango_layout_get_pixel_extents (self->layout, NULL, &logical);
      self->natural_width = logical.width;
      self->natural_height = logical.height;
      self->wrapped_width = -1;
      self->char_width = char_width_for (context);
      self->serial = serial;
      self->measured = TRUE;
    }

  return self->layout;
}

/* Links are underlined and in the link color; underlines do not change the text's size. */
static void
update_link_attributes (ConfabMessageText *self,
                        const GdkRGBA     *color)
{
  g_autoptr(PangoAttrList) attrs = NULL;

  if (self->layout == NULL || self->links->len == 0
      || (pango_layout_get_attributes (self->layout) != NULL
          && gdk_rgba_equal (color, &self->link_color)))
    return;

  self->link_color = *color;
  attrs = pango_attr_list_new ();
  for (guint i = 0; i < self->links->len; i++)
    {
      ConfabLink *link = &g_array_index (self->links, ConfabLink, i);
      PangoAttribute *underline = pango_attr_underline_new (PANGO_UNDERLINE_SINGLE);
      PangoAttribute *fg = pango_attr_foreground_new (color->red * 65535, color->green * 65535,
                                                      color->blue * 65535);

      underline->start_index = fg->start_index = link->start;
      underline->end_index = fg->end_index = link->end;
      pango_attr_list_insert (attrs, underline);
      pango_attr_list_insert (attrs, fg);
    }
  pango_layout_set_attributes (self->layout, attrs);
}

/* The widest the text is laid out, whatever the width offered. */
static int
widest (ConfabMessageText *self)
{
  return self->max_width_chars > 0 ? self->max_width_chars * self->char_width : G_MAXINT;
}

/* Wraps the layout at @width (-1: at its natural width), or unwraps it when the text fits;
 * returns its height. The text never wraps wider than max-width-chars: a parent may ask for the
 * height at its own width and then allocate only the natural width (halign start, as a message
 * bubble is), and both must give the same lines. */
static int
wrap_at (ConfabMessageText *self,
         int                width)
{
  PangoLayout *layout = ensure_layout (self);
  int height;

  if (width < 0 || width > widest (self))
    width = widest (self);

  if (width >= self->natural_width)
    {
      /* Unwrapped it is as measured; wrapped wider than the text it would be the same lines. */
      if (self->wrapped_width >= 0)
        {
          pango_layout_set_width (layout, -1);
          self->wrapped_width = -1;
        }
      return self->natural_height;
    }

  if (width == self->wrapped_width)
    return self->wrapped_height;

  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_get_pixel_size (layout, NULL, &height);
  self->wrapped_width = width;
  self->wrapped_height = height;
  return height;
}

static GtkSizeRequestMode
confab_message_text_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
confab_message_text_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  ConfabMessageText *self = CONFAB_MESSAGE_TEXT (widget);

  ensure_layout (self);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *natural = MIN (self->natural_width, widest (self));
      *minimum = MIN (*natural, MIN_WIDTH_CHARS * self->char_width);
    }
  else
    {
      *minimum = *natural = wrap_at (self, for_size);
    }
}

static void
confab_message_text_size_allocate (GtkWidget *widget,
                                   int        width,
                                   int        height,
                                   int        baseline)
{
  wrap_at (CONFAB_MESSAGE_TEXT (widget), width);
}

static void
confab_message_text_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  ConfabMessageText *self = CONFAB_MESSAGE_TEXT (widget);
  GdkRGBA color;

  if (self->text == NULL || *self->text == '\0')
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS

  wrap_at (self, gtk_widget_get_width (widget));
  if (self->links->len > 0)
    {
      GdkRGBA link_color;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "accent_color",
                                           &link_color))
        link_color = color;
      G_GNUC_END_IGNORE_DEPRECATIONS
      update_link_attributes (self, &link_color);
    }
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
}

/* The link under (@x, @y) in widget coordinates, or -1. */
static int
link_index_at (ConfabMessageText *self,
               double             x,
               double             y)
{
  int index, trailing;

  if (self->links->len == 0 || self->layout == NULL)
    return -1;

  wrap_at (self, gtk_widget_get_width (GTK_WIDGET (self)));
  if (!pango_layout_xy_to_index (self->layout, (int) (x * PANGO_SCALE), (int) (y * PANGO_SCALE),
                                 &index, &trailing))
    return -1;

  for (guint i = 0; i < self->links->len; i++)
    {
      ConfabLink *link = &g_array_index (self->links, ConfabLink, i);

      if ((gsize) index >= link->start && (gsize) index < link->end)
        return (int) i;
    }
  return -1;
}

static void
activate_link (ConfabMessageText *self,
               guint              i)
{
  gboolean handled = FALSE;

  g_signal_emit (self, signals[ACTIVATE_LINK], 0,
                 g_array_index (self->links, ConfabLink, i).uri, &handled);
}

static gboolean
confab_message_text_real_activate_link (ConfabMessageText *self,
                                        const char        *uri)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
  return TRUE;
}

static void
on_click_pressed (GtkGestureClick   *gesture,
                  int                n_press,
                  double             x,
                  double             y,
                  ConfabMessageText *self)
{
  self->pressed_link = n_press == 1 ? link_index_at (self, x, y) : -1;
  /* A click on a link is the link's, not the row's. */
  if (self->pressed_link >= 0)
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
on_click_released (GtkGestureClick   *gesture,
                   int                n_press,
                   double             x,
                   double             y,
                   ConfabMessageText *self)
{
  int link = link_index_at (self, x, y);

  if (link >= 0 && link == self->pressed_link)
    activate_link (self, (guint) link);
  self->pressed_link = -1;
}

static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           ConfabMessageText        *self)
{
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self),
                                   link_index_at (self, x, y) >= 0 ? "pointer" : NULL);
}

static void
confab_message_text_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabMessageText *self = CONFAB_MESSAGE_TEXT (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_MAX_WIDTH_CHARS:
      g_value_set_int (value, self->max_width_chars);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_text_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabMessageText *self = CONFAB_MESSAGE_TEXT (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      confab_message_text_set_text (self, g_value_get_string (value));
      break;
    case PROP_MAX_WIDTH_CHARS:
      confab_message_text_set_max_width_chars (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_text_dispose (GObject *object)
{
  ConfabMessageText *self = CONFAB_MESSAGE_TEXT (object);

  g_clear_object (&self->layout);

  G_OBJECT_CLASS (confab_message_text_parent_class)->dispose (object);
}

static void
confab_message_text_finalize (GObject *object)
{
  ConfabMessageText *self = CONFAB_MESSAGE_TEXT (object);

  g_free (self->text);
  g_array_unref (self->links);

  G_OBJECT_CLASS (confab_message_text_parent_class)->finalize (object);
}

static void
confab_message_text_class_init (ConfabMessageTextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_message_text_get_property;
  object_class->set_property = confab_message_text_set_property;
  object_class->dispose = confab_message_text_dispose;
  object_class->finalize = confab_message_text_finalize;

  widget_class->get_request_mode = confab_message_text_get_request_mode;
  widget_class->measure = confab_message_text_measure;
  widget_class->size_allocate = confab_message_text_size_allocate;
  widget_class->snapshot = confab_message_text_snapshot;

  /**
   * ConfabMessageText::activate-link:
   * @uri: the link clicked
   *
   * Returns: %TRUE when handled; the default opens the link.
   */
  signals[ACTIVATE_LINK] =
    g_signal_new_class_handler ("activate-link", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                G_CALLBACK (confab_message_text_real_activate_link),
                                g_signal_accumulator_true_handled, NULL, NULL,
                                G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_WIDTH_CHARS] =
    g_param_spec_int ("max-width-chars", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
confab_message_text_init (ConfabMessageText *self)
{
  GtkGesture *click;
  GtkEventController *motion;

  self->max_width_chars = -1;
  self->wrapped_width = -1;
  self->pressed_link = -1;
  self->links = confab_links_find (NULL);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_click_pressed), self);
  g_signal_connect (click, "released", G_CALLBACK (on_click_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

GtkWidget *
confab_message_text_new (void)
{
  return g_object_new (CONFAB_TYPE_MESSAGE_TEXT, NULL);
}

const char *
confab_message_text_get_text (ConfabMessageText *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_TEXT (self), NULL);

  return self->text ? self->text : "";
}

void
confab_message_text_set_text (ConfabMessageText *self,
                              const char        *text)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_TEXT (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);
  g_array_unref (self->links);
  self->links = confab_links_find (text);
  self->pressed_link = -1;
  /* ensure_layout() unwraps it and measures it again; snapshot() marks the links. */
  if (self->layout != NULL)
    {
      pango_layout_set_text (self->layout, text ? text : "", -1);
      pango_layout_set_attributes (self->layout, NULL);
    }
  self->measured = FALSE;

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  text ? text : "", -1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

int
confab_message_text_get_max_width_chars (ConfabMessageText *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_TEXT (self), -1);

  return self->max_width_chars;
}

void
confab_message_text_set_max_width_chars (ConfabMessageText *self,
                                         int                n_chars)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_TEXT (self));

  n_chars = MAX (n_chars, -1);
  if (self->max_width_chars == n_chars)
    return;

  self->max_width_chars = n_chars;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_WIDTH_CHARS]);
}

guint
confab_message_text_get_n_links (ConfabMessageText *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_TEXT (self), 0);

  return self->links->len;
}

const char *
confab_message_text_get_link (ConfabMessageText *self,
                              guint              i)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_TEXT (self), NULL);
  g_return_val_if_fail (i < self->links->len, NULL);

  return g_array_index (self->links, ConfabLink, i).uri;
}

const char *
confab_message_text_get_link_at (ConfabMessageText *self,
                                 double             x,
                                 double             y)
{
  int i;

  g_return_val_if_fail (CONFAB_IS_MESSAGE_TEXT (self), NULL);

  i = link_index_at (self, x, y);
  return i >= 0 ? g_array_index (self->links, ConfabLink, i).uri : NULL;
}

void
confab_message_text_activate_link (ConfabMessageText *self,
                                   guint              i)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_TEXT (self));
  g_return_if_fail (i < self->links->len);

  activate_link (self, i);
}
