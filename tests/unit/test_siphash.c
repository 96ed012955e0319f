/* siphash.c: the reference vectors of SipHash-2-4, and a MAC's use. */
#include "unit.h"
#include "siphash.h"

/*
 * Key 00 01 .. 0f, message 00 01 .. len-1: values from the paper's
 * reference vectors, for lengths on both sides of the word size.
 */
static void
test_vectors(void **state)
{
	static const struct {
		size_t		len;
		uint64_t	want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ULL }, { 1, 0x74f839c593dc67fdULL },
		{ 7, 0xab0200f58b01d137ULL }, { 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL }, { 63, 0x958a324ceb064572ULL },
	};
	uint8_t	key[SIPHASH_KEY_LEN], msg[64];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(siphash24(key, msg, v[i].len) == v[i].want);
}

/* Any bit of the key or of the message changes the value. */
static void
test_bits(void **state)
{
	uint8_t		key[SIPHASH_KEY_LEN] = { 0 }, msg[24] = { 0 };
	uint64_t	base = siphash24(key, msg, sizeof(msg));
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(msg) * 8; i++) {
		msg[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_true(siphash24(key, msg, sizeof(msg)) != base);
		msg[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	for (i = 0; i < sizeof(key) * 8; i++) {
		key[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_true(siphash24(key, msg, sizeof(msg)) != base);
		key[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_bits),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
