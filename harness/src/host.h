/* SPDX-License-Identifier: GPL-2.0-only */
/* host.h - shared by host.c and task.c. */
#ifndef SLABSCALE_HOST_H
#define SLABSCALE_HOST_H

#include <sched.h>
#include <time.h>

int pin_set(int cpu, cpu_set_t *set);
void pin_self(int cpu);
void snapshot_start(unsigned int blob);
void task_run(unsigned long nr);
void helpers_cancel(void);
int helpers_join_or_park(const struct timespec *deadline, int sig);
void prepare_helpers_kill(void);

#endif
