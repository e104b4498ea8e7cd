/* abi_version.c: prints the library's version and ABI, from the CMake
 * consumer project of integration/packages/run.sh. */
#include <stdio.h>

#include <s2sauth.h>

int main(void)
{
    printf("%s %d\n", s2s_version(), s2s_abi_version());
    return s2s_abi_version() == S2S_ABI_VERSION ? 0 : 1;
}
