// The approval queue: pending drafts (from staff or from feed rules in draft mode). A second person approves
// (the hub refuses the author with alerts.draft_self_approval) or rejects with a reason.
import { api, h, t, clear, formatTime, announce } from '/shared/common.js';

export async function mount(container, ctx) {
  const list = h('div', { id: 'draft-list', 'aria-live': 'polite' });
  const status = h('p', { role: 'status', id: 'approval-status' });
  container.append(h('h2', {}, t('approvals.title')), status, list);

  async function load() {
    const drafts = await api('GET', '/api/alert-drafts?state=pending');
    clear(list);
    if (!drafts.length) {
      list.append(h('p', { class: 'muted' }, t('approvals.none')));
      return;
    }
    for (const draft of drafts) list.append(card(draft));
  }

  function card(draft) {
    const request = draft.request ?? {};
    const ja = request.texts?.ja ?? Object.values(request.texts ?? {})[0] ?? {};
    const exercise = request.status === 'Exercise';
    const reason = h('input', { id: `reject-reason-${draft.id}`, maxlength: 500 });
    const mine = !!(draft.createdBy && ctx.session && (draft.createdBy === ctx.session.username || draft.createdBy.startsWith(`${ctx.session.username} (`)));
    return h('article', { class: `card draft ${exercise ? 'exercise' : 'actual'}`, 'aria-labelledby': `draft-${draft.id}`, dataset: { draftId: draft.id } },
      h('h3', { id: `draft-${draft.id}` }, `${exercise ? '【訓練】' : ''}${ja.headline ?? request.event ?? draft.id}`),
      draft.updatesAlertId ? h('p', { class: 'update-of' }, t('approvals.updateOf', { id: draft.updatesAlertId })) : null,
      h('p', {}, `${request.event ?? ''} · ${request.severity ?? ''} · ${formatTime(draft.createdAt)} · ${t('approvals.by', { who: draft.createdBy })}`),
      ja.body ? h('p', {}, ja.body) : null,
      mine ? h('p', { class: 'hint' }, t('approvals.self')) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary approve', disabled: !ctx.hasRole('approver'), onclick: () => approve(draft) }, t('approvals.approve')),
        h('label', { for: reason.id }, t('approvals.reason')), reason,
        h('button', { type: 'button', class: 'secondary reject', disabled: !ctx.hasRole('approver'), onclick: () => reject(draft, reason) }, t('approvals.reject'))));
  }

  async function approve(draft) {
    try {
      const issued = await api('POST', `/api/alert-drafts/${encodeURIComponent(draft.id)}/approve`);
      announce(t('compose.issued', { id: issued.id }));
      ctx.navigate(`board/${issued.id}`);
    } catch (e) {
      status.textContent = e.code === 'alerts.draft_self_approval' ? t('approvals.self') : t('compose.error', { e: e.code ?? e.message });
    }
  }

  async function reject(draft, reason) {
    if (!reason.value.trim()) { reason.focus(); return; }
    try {
      await api('POST', `/api/alert-drafts/${encodeURIComponent(draft.id)}/reject`, { reason: reason.value.trim() });
      await load();
    } catch (e) {
      status.textContent = t('compose.error', { e: e.code ?? e.message });
    }
  }

  await load();
  const timer = setInterval(load, 15000);
  const offs = [ctx.on('alertIssued', load), ctx.on('alertDraft', load)];
  return () => { clearInterval(timer); offs.forEach(f => f()); };
}
