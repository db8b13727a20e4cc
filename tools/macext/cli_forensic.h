#pragma once
/* The forensic-root gate (tools/macext/cli_forensic.c). */
#include "cli.h"

/* Called by main.c before a command runs. On a forensic root (a mounted image: no .macext/,
 * a KextPolicy file; macext/forensic.h) only what reads it or never touches the root runs;
 * anything else prints one line naming the root and why, and its exit code (69) is
 * returned. 0 lets the command run. ARGV[0] is the command. */
int cli_forensic_gate(struct cli *cli, int argc, char **argv);
