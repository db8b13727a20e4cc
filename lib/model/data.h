#pragma once
/* Catalogues compiled in from the JSON files of data/ by cmake/embed_gen.cmake. */
#include <stddef.h>

/* Finds the embedded file NAME ("kpi_catalogue.json"). The bytes are NUL-terminated
 * (*ret_len excludes the NUL) and live as long as the program. Returns 0 or -ENOENT. */
int mx_data_get(const char *name, const unsigned char **ret, size_t *ret_len);
