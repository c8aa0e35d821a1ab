// The hub speaks in codes (Severe, signalr, issued, staff.password_weak); staff read words. Every code shown on a staff
// screen goes through one of these, which fall back to the code itself only for a value the dictionary does not know
// (a new channel, a language nobody listed), so nothing is ever hidden.
import { t } from '/shared/common.js';

function label(prefix, value) {
  if (value === undefined || value === null || value === '') return '';
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

export const severityLabel = value => label('severity', value);
export const urgencyLabel = value => label('urgency', value);
export const certaintyLabel = value => label('certainty', value);
export const statusLabel = value => label('alertStatus', value);
export const channelLabel = value => label('channel', value);
export const roleLabel = value => label('role', value);
export const languageLabel = value => label('lang', value);
export const sourceLabel = value => label('source', value);
export const lifecycleLabel = value => label('lifecycle', value);
export const operationalLabel = value => label('operational', value);
export const categoryLabel = value => label('category', value);
export const tagLabel = value => label('tag', value);

/**
 * Who did it, as a person reads it: the hub records "name (staff:username)" for a staff member and "name (key id)" for
 * an API key; the part in brackets is for the audit log, not for the board at 3 a.m.
 */
export function actorName(actor) {
  if (!actor) return '';
  const name = String(actor).replace(/ \((?:staff:[^()]*|[0-9a-f]{16,})\)$/, '');
  return name || String(actor);
}

/** 第1報 / 続報 / 取消 / 解除 for a version (an all-clear is an Update carrying allClear). */
export function msgTypeLabel(msgType, allClear = false) {
  return label('msgType', allClear ? 'AllClear' : msgType);
}

/** The state as staff read it: an issued alert whose expiry has passed is 期限切れ, not 発信中. */
export function alertStateLabel(state, expired = false) {
  return label('alertState', state === 'issued' && expired ? 'expired' : state);
}

/** 【訓練】 / 【本番】 / 【試験】: the mark every list and heading carries. */
export function statusMark(status) {
  return `【${statusLabel(status)}】`;
}

/**
 * An error from the hub as a sentence, with the rule where the hub sends it (e.g. the password's minimum length); an
 * unknown code falls back to the hub's own detail rather than to the bare code.
 */
export function problemText(error) {
  const code = error?.code;
  const problem = error?.problem ?? {};
  if (code === 'staff.password_weak') {
    return t(`problem.staff.password_weak.${problem.rule ?? 'length'}`, { min: problem.minLength ?? '', max: problem.maxLength ?? '' });
  }

  const key = `problem.${code}`;
  const detail = error?.message ?? '';
  const text = code ? t(key, { detail }) : key;
  return text === key ? t('problem.generic', { detail }) : text;
}
