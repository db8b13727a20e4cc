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

#include "macext/policy.h"

#define NTEAMS 1000
#define KEXTS_PER_TEAM 10
#define NAPPROVALS (NTEAMS * KEXTS_PER_TEAM)
#define NPROFILES 50
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

static void team_name(char buf[11], unsigned n)
{
	snprintf(buf, 11, "T%09u", n);
}

/* 50 payloads, each allowing 5 teams (of the unapproved range) and 2 teams x 3 kexts. */
static char pteams[NPROFILES][5][11];
static const char *pteam_ptrs[NPROFILES][5];
static char pkext_ids[NPROFILES][2][3][40];
static const char *pkext_ptrs[NPROFILES][2][3];
static char pkext_teams[NPROFILES][2][11];
static struct macext_mdm_kext_team pkexts[NPROFILES][2];
static struct macext_mdm_kext_payload payloads[NPROFILES];

static void build_profiles(void)
{
	for (unsigned p = 0; p < NPROFILES; p++) {
		for (unsigned i = 0; i < 5; i++) {
			team_name(pteams[p][i], 100000 + p * 5 + i);
			pteam_ptrs[p][i] = pteams[p][i];
		}
		for (unsigned k = 0; k < 2; k++) {
			team_name(pkext_teams[p][k], 200000 + p * 2 + k);
			for (unsigned b = 0; b < 3; b++) {
				snprintf(pkext_ids[p][k][b], 40, "com.mdm%u.kext%u", p * 2 + k, b);
				pkext_ptrs[p][k][b] = pkext_ids[p][k][b];
			}
			pkexts[p][k] = (struct macext_mdm_kext_team){pkext_teams[p][k],
								     pkext_ptrs[p][k], 3};
		}
		payloads[p] = (struct macext_mdm_kext_payload){
			.profile_id = "com.bench.kexts",
			.payload_uuid = "00000000-0000-0000-0000-000000000000",
			.allowed_teams = pteam_ptrs[p],
			.nallowed_teams = 5,
			.allowed_kexts = pkexts[p],
			.nallowed_kexts = 2,
			.allow_user_overrides = MACEXT_TRUE,
			.allow_non_admin_user_approvals = MACEXT_UNSET,
		};
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct macext_kpi_fact kauth = {"kauth", true, false, "symbols _kauth"};
	static const struct macext_macos_version versions[] = {{10, 15, 7}, {11, 7, 0}, {14, 0, 0}};
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
	build_profiles();
	macext_trace_init(&t);

	start = now_ns();
	for (size_t i = 0; i < n; i++) {
		struct macext_facts f;
		const struct macext_approval_row *row;
		enum macext_decision d;
		const char *msg;
		int code;
		unsigned kind = (unsigned)(i % 8), x = (unsigned)((i * 2654435761u) % 100000u);
		uint64_t t0 = now_ns();

		memset(&f, 0, sizeof(f));
		f.macos = versions[i % 3];
		f.platform = MACEXT_PLATFORM_X86_64_T2;
		f.enrollment = MACEXT_ENROLL_ADE;
		f.now = 1700000000;
		if (kind < 5) { /* approved kexts */
			team_name(team, x % NTEAMS);
			snprintf(bundle, sizeof(bundle), "com.vendor%u.kext%u", x % NTEAMS,
				 (x / NTEAMS) % KEXTS_PER_TEAM);
		} else if (kind < 7) { /* MDM-allowed by team, or unknown */
			team_name(team, 100000 + x % (NPROFILES * 5 + 50));
			snprintf(bundle, sizeof(bundle), "com.other%u.kext", x);
		} else { /* listed in AllowedKernelExtensions */
			team_name(team, 200000 + x % (NPROFILES * 2));
			snprintf(bundle, sizeof(bundle), "com.mdm%u.kext%u", x % (NPROFILES * 2),
				 x % 3);
		}
		f.kext.bundle_id = bundle;
		f.kext.version = "1.0.0";
		f.kext.path = "/Library/Extensions/Bench.kext";
		f.kext.location = MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS;
		f.sig.kind = MACEXT_CS_DEVELOPER_ID;
		f.sig.valid = f.sig.kext_marker = true;
		f.sig.team_id = team;
		f.sig.developer_name = "Bench Corp";
		f.sig.cdhash = "1111111111111111111111111111111111111111";
		if (i % 16 == 3) {
			f.kpi = &kauth;
			f.nkpi = 1;
		}
		f.consent.enabled = true;
		f.mdm = payloads;
		f.nmdm = NPROFILES;
		f.user.name = "admin";
		f.user.admin = true;
		f.auxkc.in_booted = i % 2 == 0;
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

	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("decisions:        %zu (approvals %u, profiles %u)\n", n, NAPPROVALS, NPROFILES);
	printf("decisions/s:      %.0f\n", (double)n * 1e9 / (double)total);
	printf("latency p50:      %.2f us\n", (double)lat[n / 2] / 1000.0);
	printf("latency p99:      %.2f us\n", (double)lat[n * 99 / 100] / 1000.0);
	printf("latency max:      %.2f us\n", (double)lat[n - 1] / 1000.0);
	printf("outcomes:         allow %u, deny %u, needs-approval %u, needs-restart %u\n",
	       counts[MACEXT_DECISION_ALLOW], counts[MACEXT_DECISION_DENY],
	       counts[MACEXT_DECISION_NEEDS_APPROVAL], counts[MACEXT_DECISION_NEEDS_RESTART]);
	free(lat);
	return 0;
}
