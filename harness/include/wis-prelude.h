/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wis-prelude.h - force-included (-include) before every foreign
 * will-it-scale test file (cases/wis/, harness/wis.mk).
 *
 * The project's own code gets -D_GNU_SOURCE on the command line; a foreign
 * file that says "#define _GNU_SOURCE" itself would then redefine it (a
 * warning, an error with -Werror).  Here it is defined empty and only if
 * nobody did, so a file's own "#define _GNU_SOURCE" is an identical
 * redefinition, which the preprocessor accepts silently.  Nothing else:
 * a foreign file sees what it would see in will-it-scale plus the GNU
 * declarations, and no slabscale header.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
