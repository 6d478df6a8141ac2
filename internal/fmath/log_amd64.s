//go:build !purego

#include "textflag.h"

// Four copies of a 64-bit constant, for 256-bit operands.
#define CONST4(name, v) DATA name<>+0(SB)/8, v; DATA name<>+8(SB)/8, v; DATA name<>+16(SB)/8, v; DATA name<>+24(SB)/8, v; GLOBL name<>(SB), RODATA|NOPTR, $32

CONST4(lgIndex, $0xff)
CONST4(lgMant, $0x000fffffffffffff)
CONST4(lgOne, $0x3ff0000000000000)
CONST4(lgTop8, $0x000ff00000000000)
CONST4(lgMid, $0x3ff0080000000000)
CONST4(lgTwo52, $0x4330000000000000)
CONST4(lgBias, $0x43300000000003ff)
CONST4(lgC5, $0x3fc999999999999a)
CONST4(lgC4, $0x3fd0000000000000)
CONST4(lgC3, $0x3fd5555555555555)
CONST4(lgC2, $0x3fe0000000000000)
CONST4(lgLn2Hi, $0x3fe62e42fee00000)
CONST4(lgLn2Lo, $0x3dea39ef35793c76)

// func addLogsAVX2(dst, x *float64, n int, a float64)
//
// AddLogs' loop four points at a time, n a multiple of 4: the same
// operations in the same order as logNormal (no fused multiply-add), so
// that the results agree to the bit. The interval's midpoint c is made
// from x's leading mantissa bits (it is 1 + (j + 1/2)/256 exactly); 1/c
// and log c, side by side in logTable, are loaded in pairs (16 bytes, a
// point's two) and unpacked (faster than two gathers); the exponent k becomes a float64
// as (2^52 + e) - (2^52 + 1023), exact.
TEXT ·addLogsAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD a+24(FP), Y15
	LEAQ         ·logTable(SB), R8
	VMOVUPD      lgC4<>(SB), Y9
	VMOVUPD      lgC3<>(SB), Y10
	VMOVUPD      lgC2<>(SB), Y11
	SHRQ         $2, CX
	JZ           done

loop:
	VMOVUPD    (SI), Y0
	VPSRLQ     $44, Y0, Y1
	VPAND      lgIndex<>(SB), Y1, Y1
	VPSLLQ     $1, Y1, Y2
	VPADDQ     Y1, Y2, Y1                // 3j: logTable's row
	VMOVQ        X1, AX
	VPEXTRQ      $1, X1, BX
	VEXTRACTI128 $1, Y1, X2
	VMOVQ        X2, R9
	VPEXTRQ      $1, X2, R10
	VMOVUPD      8(R8)(AX*8), X3          // 1/c, log c of the first point
	VMOVUPD      8(R8)(BX*8), X4          // of the second
	VINSERTF128  $1, 8(R8)(R9*8), Y3, Y3  // of the third
	VINSERTF128  $1, 8(R8)(R10*8), Y4, Y4 // of the fourth
	VUNPCKHPD    Y4, Y3, Y2
	VUNPCKLPD    Y4, Y3, Y3               // 1/c
	VMOVAPD      Y2, Y4                   // log c
	VPAND      lgMant<>(SB), Y0, Y5
	VPOR       lgOne<>(SB), Y5, Y5       // m
	VPAND      lgTop8<>(SB), Y0, Y6
	VPOR       lgMid<>(SB), Y6, Y6       // c
	VSUBPD     Y6, Y5, Y5
	VMULPD     Y3, Y5, Y5                // r = (m - c) / c
	VPSRLQ     $52, Y0, Y6
	VPOR       lgTwo52<>(SB), Y6, Y6
	VSUBPD     lgBias<>(SB), Y6, Y6      // k
	VMULPD     lgC5<>(SB), Y5, Y7
	VSUBPD     Y7, Y9, Y7
	VMULPD     Y5, Y7, Y7
	VSUBPD     Y7, Y10, Y7
	VMULPD     Y5, Y7, Y7
	VSUBPD     Y7, Y11, Y7
	VMULPD     Y5, Y5, Y8
	VMULPD     Y8, Y7, Y7
	VSUBPD     Y7, Y5, Y7                // p
	VADDPD     Y4, Y7, Y7                // log c + p
	VMULPD     lgLn2Lo<>(SB), Y6, Y8
	VADDPD     Y8, Y7, Y7
	VMULPD     lgLn2Hi<>(SB), Y6, Y8
	VADDPD     Y7, Y8, Y7
	VADDPD     Y7, Y15, Y7               // a + log x
	VMOVUPD    Y7, (DI)
	ADDQ       $32, SI
	ADDQ       $32, DI
	DECQ       CX
	JNZ        loop

done:
	VZEROUPPER
	RET
