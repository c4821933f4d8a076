/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Prints what a screen reader learns about one process's windows: a line per accessible
 * object of its AT-SPI tree, as
 *
 *   <depth> TAB <role> TAB <name> TAB <flags>
 *
 * where flags are "f" (focusable), "s" (visible) and "c" (a control: something a user acts on,
 * which needs a name; a scroll pane only holds one). test-a11y runs it from outside the application, as Orca would see it,
 * and judges the lines.
 *
 *   confab-a11y-walk PID */
#include "config.h"

#include <atspi/atspi.h>
#include <stdio.h>
#include <stdlib.h>

/* Objects too deep in the tree stop the walk: a cycle would otherwise never end. */
#define MAX_DEPTH 64

static gboolean
is_control_role (AtspiRole role)
{
  switch (role)
    {
    case ATSPI_ROLE_PUSH_BUTTON:
    case ATSPI_ROLE_TOGGLE_BUTTON:
    case ATSPI_ROLE_CHECK_BOX:
    case ATSPI_ROLE_RADIO_BUTTON:
    case ATSPI_ROLE_COMBO_BOX:
    case ATSPI_ROLE_ENTRY:
    case ATSPI_ROLE_PASSWORD_TEXT:
    case ATSPI_ROLE_SPIN_BUTTON:
    case ATSPI_ROLE_SLIDER:
    case ATSPI_ROLE_LINK:
    case ATSPI_ROLE_LIST_ITEM:
    case ATSPI_ROLE_MENU_ITEM:
    case ATSPI_ROLE_CHECK_MENU_ITEM:
    case ATSPI_ROLE_RADIO_MENU_ITEM:
    case ATSPI_ROLE_PAGE_TAB:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
print_field (const char *text)
{
  /* Names are one field: tabs and line breaks in them would split the line. */
  for (const char *p = text; p != NULL && *p != '\0'; p++)
    putchar (*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
}

static void
walk (AtspiAccessible *object,
      guint            depth)
{
  g_autoptr(GError) error = NULL;
  AtspiStateSet *states;
  g_autofree char *name = NULL;
  g_autofree char *role_name = NULL;
  AtspiRole role;
  gboolean focusable, visible;
  int n_children;

  if (depth > MAX_DEPTH)
    {
      g_printerr ("confab-a11y-walk: the tree is deeper than %d\n", MAX_DEPTH);
      exit (2);
    }

  role = atspi_accessible_get_role (object, &error);
  if (error != NULL)
    {
      g_printerr ("confab-a11y-walk: role: %s\n", error->message);
      exit (2);
    }
  role_name = atspi_role_get_name (role);
  name = atspi_accessible_get_name (object, NULL);
  states = atspi_accessible_get_state_set (object);
  focusable = atspi_state_set_contains (states, ATSPI_STATE_FOCUSABLE);
  visible = atspi_state_set_contains (states, ATSPI_STATE_VISIBLE);
  g_object_unref (states);

  printf ("%u\t", depth);
  print_field (role_name);
  putchar ('\t');
  print_field (name);
  printf ("\t%s%s%s\n", focusable ? "f" : "", visible ? "v" : "",
          is_control_role (role) || (focusable && role != ATSPI_ROLE_SCROLL_PANE) ? "c" : "");

  n_children = atspi_accessible_get_child_count (object, NULL);
  for (int i = 0; i < n_children; i++)
    {
      AtspiAccessible *child = atspi_accessible_get_child_at_index (object, i, NULL);

      if (child == NULL)
        continue;
      walk (child, depth + 1);
      g_object_unref (child);
    }
}

int
main (int   argc,
      char *argv[])
{
  AtspiAccessible *desktop;
  guint64 pid;
  gboolean found = FALSE;
  int n_apps;

  if (argc != 2 || !g_ascii_string_to_unsigned (argv[1], 10, 1, G_MAXINT32, &pid, NULL))
    {
      g_printerr ("usage: confab-a11y-walk PID\n");
      return 2;
    }
  if (atspi_init () < 0)
    {
      g_printerr ("confab-a11y-walk: no accessibility bus\n");
      return 2;
    }

  desktop = atspi_get_desktop (0);
  n_apps = atspi_accessible_get_child_count (desktop, NULL);
  for (int i = 0; i < n_apps; i++)
    {
      AtspiAccessible *app = atspi_accessible_get_child_at_index (desktop, i, NULL);

      if (app == NULL)
        continue;
      if (atspi_accessible_get_process_id (app, NULL) == (guint) pid)
        {
          walk (app, 0);
          found = TRUE;
        }
      g_object_unref (app);
    }
  g_object_unref (desktop);
  fflush (stdout);

  if (!found)
    {
      g_printerr ("confab-a11y-walk: process %" G_GUINT64_FORMAT " is not on the accessibility "
                  "bus\n", pid);
      return 1;
    }
  return 0;
}
