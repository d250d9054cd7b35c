// The part of `qrcode` (a dependency without bundled types) the Native cashier uses.
declare module 'qrcode' {
  interface ToBufferOptions {
    type?: 'png';
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
    margin?: number;
    width?: number;
  }
  const QRCode: { toBuffer(text: string, options?: ToBufferOptions): Promise<Buffer> };
  export default QRCode;
}
