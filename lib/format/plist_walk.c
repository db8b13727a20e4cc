/*
 * lib/format/plist_walk.c: the dictionary walk of plist_walk.h. libplist hands out each key
 * as a malloc'd copy and the iterator as a malloc'd block, both released with free().
 */
#include "format/plist_walk.h"

#include <stdlib.h>

bool mx_dict_next(struct mx_dict_walk *w)
{
	free(w->key);
	w->key = NULL;
	w->val = NULL;
	if (!w->started) {
		w->started = true;
		if (w->dict)
			plist_dict_new_iter(w->dict, &w->it);
	}
	if (w->it)
		plist_dict_next_item(w->dict, w->it, &w->key, &w->val);
	if (w->key)
		return true;
	mx_dict_walk_end(w);
	return false;
}

void mx_dict_walk_end(struct mx_dict_walk *w)
{
	free(w->key);
	w->key = NULL;
	free(w->it);
	w->it = NULL;
	w->started = true;
}
