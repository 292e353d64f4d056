/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * node_list.h - a node list ("1", "1,3", "0-2,5") as a bit mask: the one
 * parser behind the allocator's SLABSCALE_MEMORYLESS and the harness's
 * --memoryless, which word their own messages and rules (an empty list,
 * a list that leaves no node with memory).  Header-only, so the runner
 * without the allocator has it too.
 */
#ifndef SLABSCALE_NODE_LIST_H
#define SLABSCALE_NODE_LIST_H

#include <stdlib.h>

enum node_list_error {
	NODE_LIST_SYNTAX = -1,		/* not ids, ranges and commas */
	NODE_LIST_RANGE = -2,		/* an id not below nodes, or b < a */
};

/* 0 with the ids in *mask (bit per node), or a node_list_error */
static inline int node_list_parse(const char *s, int nodes,
				  unsigned int *mask)
{
	const char *p = s;

	*mask = 0;
	while (*p) {
		char *end;
		long a, b;

		if (*p < '0' || *p > '9')
			return NODE_LIST_SYNTAX;
		a = strtol(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return NODE_LIST_SYNTAX;
			b = strtol(end + 1, &end, 10);
		}
		if (b < a || b >= nodes)
			return NODE_LIST_RANGE;
		for (; a <= b; a++)
			*mask |= 1u << a;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return NODE_LIST_SYNTAX;
		p = end;
	}
	return 0;
}

#endif
