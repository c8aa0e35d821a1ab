// The approval queue: pending drafts (from staff or from feed rules in draft mode). Each card says what the approver is
// about to send — the area, how many people, who and how, in which languages — from the hub's own preview; 承認して発信
// opens the confirmation screen (map, counts, every text as each channel renders it) before anything is issued. A second
// person approves (the hub refuses the author with alerts.draft_self_approval) or rejects with a reason.
import { api, h, t, clear, formatTime, formatNumber, announce } from '/shared/common.js';
import { confirmSend } from './confirm.js';
import { channelLabel, languageLabel, severityLabel, statusMark, problemText, actorName } from './labels.js';
import { fill } from './dom.js';

/** The render-preview request for a draft: a new alert, or the update it proposes to an existing one. */
export function previewRequestFor(draft) {
  const r = draft.request ?? {};
  if (draft.updatesAlertId) {
    return {
      kind: 'update', alertId: draft.updatesAlertId,
      update: { event: r.event, severity: r.severity, urgency: r.urgency, certainty: r.certainty, area: r.area, audience: r.audience, channels: r.channels, texts: r.texts, expires: r.expires },
    };
  }
  return { kind: 'alert', alert: r };
}

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
    const summary = h('dl', { class: 'draft-summary', id: `draft-summary-${draft.id}` }, h('dt', {}, t('loading')));
    fillSummary(draft, summary);
    return h('article', { class: `card draft ${exercise ? 'exercise' : 'actual'}`, 'aria-labelledby': `draft-${draft.id}`, dataset: { draftId: draft.id } },
      h('h3', { id: `draft-${draft.id}` }, h('span', { class: `status-mark ${exercise ? 'exercise' : 'actual'}` }, statusMark(request.status ?? 'Actual')),
        ja.headline ?? request.event ?? draft.id),
      draft.updatesAlertId ? h('p', { class: 'update-of' }, t('approvals.updateOf', { id: draft.updatesAlertId })) : null,
      h('p', {}, `${request.event ?? ''} · ${severityLabel(request.severity)} · ${formatTime(draft.createdAt)} · ${t('approvals.by', { who: actorName(draft.createdBy) })}`),
      ja.body ? h('p', {}, ja.body) : null,
      summary,
      mine ? h('p', { class: 'hint' }, t('approvals.self')) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary approve', disabled: !ctx.hasRole('approver') || mine, onclick: () => approve(draft) }, t('approvals.approve')),
        h('label', { for: reason.id }, t('approvals.reason')), reason,
        h('button', { type: 'button', class: 'secondary reject', disabled: !ctx.hasRole('approver'), onclick: () => reject(draft, reason) }, t('approvals.reject'))));
  }

  /** Area, count, audience, channels and languages as the hub resolves them now (people register and leave meanwhile). */
  async function fillSummary(draft, summary) {
    try {
      const p = await api('POST', '/api/alerts/render-preview', previewRequestFor(draft));
      fill(summary, 
        h('dt', {}, t('compose.areas')), h('dd', { class: 'draft-area' }, p.areaName || '—'),
        h('dt', {}, t('compose.count')), h('dd', { class: 'draft-count', dataset: { recipients: String(p.reach.recipients ?? 0) } },
          t('compose.recipients', { n: formatNumber(p.reach.recipients ?? 0) })),
        h('dt', {}, t('confirm.channels')), h('dd', { class: 'draft-channels' }, p.channels.map(channelLabel).join('、')),
        h('dt', {}, t('confirm.languages')), h('dd', { class: 'draft-languages' }, p.languages.map(languageLabel).join('、')),
        p.warnings.length ? [h('dt', {}, t('confirm.warnings')), h('dd', { class: 'error' }, t('approvals.warnings', { n: p.warnings.length }))] : null);
    } catch (e) {
      fill(summary, h('dt', {}, t('compose.count')), h('dd', { class: 'error' }, problemText(e)));
    }
  }

  async function approve(draft) {
    status.textContent = '';
    const confirmed = await confirmSend(ctx, 'approve', previewRequestFor(draft));
    if (!confirmed) {
      status.textContent = t('confirm.notSent');
      return;
    }
    try {
      const issued = await api('POST', `/api/alert-drafts/${encodeURIComponent(draft.id)}/approve`);
      announce(t('compose.issued', { id: issued.id }));
      ctx.navigate(`board/${issued.id}`);
    } catch (e) {
      status.textContent = problemText(e);
    }
  }

  async function reject(draft, reason) {
    if (!reason.value.trim()) { reason.focus(); return; }
    try {
      await api('POST', `/api/alert-drafts/${encodeURIComponent(draft.id)}/reject`, { reason: reason.value.trim() });
      await load();
    } catch (e) {
      status.textContent = problemText(e);
    }
  }

  await load();
  const timer = setInterval(load, 15000);
  const offs = [ctx.on('alertIssued', load), ctx.on('alertDraft', load)];
  return () => { clearInterval(timer); offs.forEach(f => f()); };
}
