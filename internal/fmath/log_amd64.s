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
CONST4(ktZero, $0)

// LOG4 stores log x in Y7 for the four positive normal x in Y0, with the
// operations of logNormal in its order (no fused multiply-add), so that
// the results agree to the bit. The interval's midpoint c is made from
// x's leading mantissa bits (it is 1 + (j + 1/2)/256 exactly); 1/c and
// log c, side by side in logTable, are loaded as a point's 16-byte pair
// and unpacked (two gathers were slower); the exponent k becomes a
// float64 as (2^52 + e) - (2^52 + 1023), exact. It takes logTable's
// address in R8 and 1/4, 1/3 and 1/2 in Y9, Y10 and Y11, and uses
// Y1-Y8, AX, BX, R9 and R10.
#define LOG4 \
	VPSRLQ       $44, Y0, Y1; \
	VPAND        lgIndex<>(SB), Y1, Y1; \
	VPSLLQ       $1, Y1, Y2; \
	VPADDQ       Y1, Y2, Y1; \
	VMOVQ        X1, AX; \
	VPEXTRQ      $1, X1, BX; \
	VEXTRACTI128 $1, Y1, X2; \
	VMOVQ        X2, R9; \
	VPEXTRQ      $1, X2, R10; \
	VMOVUPD      8(R8)(AX*8), X3; \
	VMOVUPD      8(R8)(BX*8), X4; \
	VINSERTF128  $1, 8(R8)(R9*8), Y3, Y3; \
	VINSERTF128  $1, 8(R8)(R10*8), Y4, Y4; \
	VUNPCKHPD    Y4, Y3, Y2; \
	VUNPCKLPD    Y4, Y3, Y3; \
	VPAND        lgMant<>(SB), Y0, Y5; \
	VPOR         lgOne<>(SB), Y5, Y5; \
	VPAND        lgTop8<>(SB), Y0, Y6; \
	VPOR         lgMid<>(SB), Y6, Y6; \
	VSUBPD       Y6, Y5, Y5; \
	VMULPD       Y3, Y5, Y5; \
	VPSRLQ       $52, Y0, Y6; \
	VPOR         lgTwo52<>(SB), Y6, Y6; \
	VSUBPD       lgBias<>(SB), Y6, Y6; \
	VMULPD       lgC5<>(SB), Y5, Y7; \
	VSUBPD       Y7, Y9, Y7; \
	VMULPD       Y5, Y7, Y7; \
	VSUBPD       Y7, Y10, Y7; \
	VMULPD       Y5, Y7, Y7; \
	VSUBPD       Y7, Y11, Y7; \
	VMULPD       Y5, Y5, Y8; \
	VMULPD       Y8, Y7, Y7; \
	VSUBPD       Y7, Y5, Y7; \
	VADDPD       Y2, Y7, Y7; \
	VMULPD       lgLn2Lo<>(SB), Y6, Y8; \
	VADDPD       Y8, Y7, Y7; \
	VMULPD       lgLn2Hi<>(SB), Y6, Y8; \
	VADDPD       Y7, Y8, Y7

// LOGSETUP loads LOG4's constants.
#define LOGSETUP \
	LEAQ    ·logTable(SB), R8; \
	VMOVUPD lgC4<>(SB), Y9; \
	VMOVUPD lgC3<>(SB), Y10; \
	VMOVUPD lgC2<>(SB), Y11

// func addLogsAVX2(dst, x *float64, n int, a float64)
//
// AddLogs' loop four points at a time, n a multiple of 4.
TEXT ·addLogsAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD a+24(FP), Y15
	LOGSETUP
	SHRQ         $2, CX
	JZ           done

loop:
	VMOVUPD (SI), Y0
	LOG4
	VADDPD  Y7, Y15, Y7 // a + log x
	VMOVUPD Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func klTermsAVX2(acc *[2][4]float64, t, s, p, logp *float64, n int, a, tiny float64) int
//
// KLTerms' loop on up to n points (a multiple of 4), four at a time, lane
// l taking the points i = l mod 4: it stops before the first four with an
// s that is not at least tiny (or NaN) and returns how many points it
// took. The operations are the Go loop's, in its order; a point with no
// target mass adds +0 to its lane, as the Go loop does.
TEXT ·klTermsAVX2(SB), NOSPLIT, $0-72
	MOVQ         acc+0(FP), DI
	MOVQ         t+8(FP), R11
	MOVQ         s+16(FP), SI
	MOVQ         p+24(FP), R12
	MOVQ         logp+32(FP), R13
	MOVQ         n+40(FP), CX
	VBROADCASTSD a+48(FP), Y15
	VBROADCASTSD tiny+56(FP), Y12
	LOGSETUP
	VMOVUPD      0(DI), Y14    // the lanes of sum P (log P - L)
	VMOVUPD      32(DI), Y13   // the lanes of sum s
	XORQ         DX, DX        // points taken
	SHRQ         $2, CX
	JZ           ktdone

ktloop:
	VMOVUPD   (SI)(DX*8), Y0
	VCMPPD    $0x19, Y12, Y0, Y1 // not s >= tiny
	VMOVMSKPD Y1, AX
	TESTQ     AX, AX
	JNZ       ktdone
	LOG4
	VADDPD    Y7, Y15, Y7         // L = a + log s
	VMOVUPD   (R12)(DX*8), Y1     // P
	VDIVPD    Y0, Y1, Y2          // t = P / s
	VMOVUPD   Y2, (R11)(DX*8)
	VMOVUPD   (R13)(DX*8), Y3
	VSUBPD    Y7, Y3, Y3          // log P - L
	VMULPD    Y1, Y3, Y3          // P (log P - L)
	VCMPPD    $0x1e, ktZero<>(SB), Y1, Y4 // P > 0
	VANDPD    Y4, Y3, Y3
	VADDPD    Y3, Y14, Y14
	VADDPD    Y0, Y13, Y13
	ADDQ      $4, DX
	DECQ      CX
	JNZ       ktloop

ktdone:
	VMOVUPD Y14, 0(DI)
	VMOVUPD Y13, 32(DI)
	MOVQ    DX, ret+64(FP)
	VZEROUPPER
	RET
