#pragma once
/*
 * Walking the entries of a libplist dictionary without the bookkeeping each walk used to
 * repeat: the walk owns the iterator and each key, and frees them itself.
 *
 *	struct mx_dict_walk w = {.dict = d};
 *
 *	while (mx_dict_next(&w))
 *		use(w.key, w.val);
 *
 * A loop left before mx_dict_next returned false (break, return) calls mx_dict_walk_end.
 */
#include <stdbool.h>

#include <plist/plist.h>

struct mx_dict_walk {
	plist_t dict; /* set by the caller; NULL walks nothing */
	char *key;    /* the current entry's key, valid until the next call */
	plist_t val;  /* the current entry's value, owned by DICT */
	plist_dict_iter it;
	bool started;
};

/* Steps to the next entry of W->dict: true with W->key and W->val set, false at the end
 * (everything freed). */
bool mx_dict_next(struct mx_dict_walk *w);
/* Frees what W holds; the walk is then over. Safe to call twice. */
void mx_dict_walk_end(struct mx_dict_walk *w);
