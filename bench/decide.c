/*
 * bench/decide.c: in-process kext load decisions per second (macext_policy_decide).
 *
 * The facts come from in-memory lookups built once: 10,000 kext_policy approvals (1,000
 * teams of 10 kexts) in an open-addressing hash table keyed by (Team ID, bundle ID), and 50
 * installed kernel-extension-policy payloads. Each decision looks up its kext's approval
 * (as lib/machine will in the store), fills the facts and decides, reusing one trace. The
 * workload mixes approved, unapproved, MDM-allowed and deprecated-KPI kexts on 10.15.7,
 * 11.7 and 14.0. Prints decisions/s and per-decision latency p50/p99/max; asserts nothing
 * (target: >= 200,000 decisions/s, p99 < 50 us).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "macext/policy.h"

#define TABLE_SIZE 32768 /* power of two, > 3 x NAPPROVALS */
#define DEFAULT_DECISIONS 1000000

struct row {
	char team[11];
	char bundle[40];
	struct macext_approval_row r;
	bool used;
};

static struct row table[TABLE_SIZE];

static uint32_t hash(const char *team, const char *bundle)
{
	uint32_t h = 2166136261u;

	for (const char *s = team; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *s = bundle; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void put(const char *team, const char *bundle)
{
	uint32_t i = hash(team, bundle) & (TABLE_SIZE - 1);

	while (table[i].used)
		i = (i + 1) & (TABLE_SIZE - 1);
	table[i].used = true;
	snprintf(table[i].team, sizeof(table[i].team), "%s", team);
	snprintf(table[i].bundle, sizeof(table[i].bundle), "%s", bundle);
	table[i].r = (struct macext_approval_row){true, table[i].team, table[i].bundle, true,
						  "Bench Corp"};
}

static const struct macext_approval_row *get(const char *team, const char *bundle)
{
	uint32_t i = hash(team, bundle) & (TABLE_SIZE - 1);

	for (; table[i].used; i = (i + 1) & (TABLE_SIZE - 1))
		if (strcmp(table[i].team, team) == 0 && strcmp(table[i].bundle, bundle) == 0)
			return &table[i].r;
	return NULL;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : DEFAULT_DECISIONS;
	unsigned counts[4] = {0};
	struct macext_trace t;
	uint64_t *lat, start, total;
	char team[11], bundle[40];

	if (n == 0)
		n = DEFAULT_DECISIONS;
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return 71;
	for (unsigned i = 0; i < NTEAMS; i++) {
		team_name(team, i);
		for (unsigned k = 0; k < KEXTS_PER_TEAM; k++) {
			snprintf(bundle, sizeof(bundle), "com.vendor%u.kext%u", i, k);
			put(team, bundle);
		}
	}
	build_profiles(false);
	macext_trace_init(&t);

	start = now_ns();
	for (size_t i = 0; i < n; i++) {
		struct macext_facts f;
		const struct macext_approval_row *row;
		enum macext_decision d;
		const char *msg;
		int code;
		unsigned team_no;
		uint64_t t0 = now_ns();

		bench_facts(&f, i, team, bundle, &team_no);
		row = get(team, bundle);
		if (row)
			f.approval = *row;
		if (macext_policy_decide(&f, &t, &d, &code, &msg) < 0) {
			fprintf(stderr, "bench_decide: decision %zu failed\n", i);
			return 71;
		}
		lat[i] = now_ns() - t0;
		counts[d]++;
	}
	total = now_ns() - start;
	macext_trace_free(&t);

	bench_report("", n, lat, total, counts);
	free(lat);
	return 0;
}
