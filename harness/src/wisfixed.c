// SPDX-License-Identifier: GPL-2.0-only
/*
 * wisfixed.c - linked into a will-it-scale executable X_threads (compiled
 * with WIS_MODE=1) or X_processes (WIS_MODE=2) next to a registry that
 * holds case X alone: the program is X in that mode whatever it is called,
 * as will-it-scale's binaries are (main.c).  Such an executable writes no
 * JSON, so it carries no build information either: these stand in for
 * gen-buildinfo.sh's, and a new commit does not relink every executable.
 */
#include "harness.h"

const int runner_wis_fixed = WIS_MODE;

const char build_git_commit[] = "";
const int build_git_dirty;
const char build_compiler[] = "";
const char build_cflags[] = "";
