import { describe, expect, it } from 'vitest';
import { actionTitle, badgeText } from './badge.ts';
import { conversationOf, notificationContent, notificationId } from './notifications.ts';

const notice = { conversationId: 'c1', senderHandle: 'bob', text: 'the launch code is 1234' };

describe('notifications', () => {
  it('name only the sender unless the user opted in to message text', () => {
    expect(notificationContent(notice, false)).toEqual({ title: '@bob', message: 'New message' });
    expect(notificationContent(notice, true)).toEqual({
      title: '@bob',
      message: 'the launch code is 1234',
    });
    expect(notificationContent({ ...notice, text: 'x'.repeat(500) }, true).message).toHaveLength(
      140,
    );
  });

  it('name the group of a group message, and never show the text of a disappearing one', () => {
    const group = { ...notice, groupName: 'Weekend trip' };
    expect(notificationContent(group, true)).toEqual({
      title: '@bob in Weekend trip',
      message: 'the launch code is 1234',
    });
    // The worker passes no text for disappearing messages (the OS would keep it).
    expect(notificationContent({ ...group, text: '' }, true).message).toBe('New message');
  });

  it('map notification ids back to their conversation, and ignore foreign ids', () => {
    expect(conversationOf(notificationId('c:42'))).toBe('c:42');
    expect(conversationOf('something-else')).toBeNull();
  });
});

describe('badge', () => {
  it('shows the unread count, capped, and nothing at zero', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(120)).toBe('99+');
  });

  it('titles the toolbar button with the state, never content', () => {
    expect(actionTitle('none', 0)).toBe('Parley — set up');
    expect(actionTitle('locked', 3)).toBe('Parley — locked');
    expect(actionTitle('locked', 0, 1)).toBe('Parley — locked, 1 new message waiting');
    expect(actionTitle('locked', 0, 4)).toBe('Parley — locked, 4 new messages waiting');
    expect(actionTitle('unlocked', 3)).toBe('Parley — 3 unread');
    expect(actionTitle('unlocked', 0)).toBe('Parley');
  });
});
