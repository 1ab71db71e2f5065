import { describe, expect, it } from 'vitest';
import { popupLimits } from './popup-fit.ts';

describe('popupLimits', () => {
  it('leaves a popup that fits its window alone', () => {
    expect(
      popupLimits({ windowWidth: 380, windowHeight: 560, contentWidth: 380, contentHeight: 560 }),
    ).toEqual({ maxWidth: null, maxHeight: null });
  });

  it('limits a zoomed popup to the window Chrome gave it (600 screen px at 150 % = 400 CSS px)', () => {
    expect(
      popupLimits({ windowWidth: 380, windowHeight: 400, contentWidth: 380, contentHeight: 560 }),
    ).toEqual({ maxWidth: null, maxHeight: 400 });
    expect(
      popupLimits({ windowWidth: 320, windowHeight: 240, contentWidth: 380, contentHeight: 560 }),
    ).toEqual({ maxWidth: 320, maxHeight: 240 });
  });
});
