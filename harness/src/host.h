/* SPDX-License-Identifier: GPL-2.0-only */
/* host.h - shared by host.c and task.c. */
#ifndef SLABSCALE_HOST_H
#define SLABSCALE_HOST_H

#include <time.h>

void pin_self(int cpu);
void reporter_start(unsigned int blob);
void task_run(unsigned long nr);
int helpers_stop(const struct timespec *deadline);

#endif
