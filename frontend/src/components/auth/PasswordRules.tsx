import { useQuery } from '@tanstack/react-query';
import { loadCommonPasswords, newPasswordRules, passwordRules, type PasswordRule } from '../../lib/passwordRules';

interface PasswordRulesProps {
  id: string;
  password: string;
  /** Null where the page does not know it (resetting from a link). */
  email: string | null;
  /** When changing the password: the current one, which the new one must differ from. */
  currentPassword?: string;
}

/** The rules below a new password (register, change password), checked as it is typed. */
export function PasswordRules({ id, password, email, currentPassword }: PasswordRulesProps) {
  const commonPasswords = useQuery({
    queryKey: ['common-passwords'],
    queryFn: loadCommonPasswords,
    staleTime: Infinity,
    // Only once there is something to check: visitors who log in never load it.
    enabled: password !== '',
  });
  const common = commonPasswords.data ?? null;
  const rules =
    currentPassword === undefined ? passwordRules(password, email, common) : newPasswordRules(password, email, currentPassword, common);
  return <PasswordRuleList id={id} rules={rules} />;
}

export function PasswordRuleList({ id, rules }: { id: string; rules: PasswordRule[] }) {
  return (
    <ul id={id} className="rules">
      {rules.map((rule) => (
        <Rule key={rule.text} {...rule} />
      ))}
    </ul>
  );
}

function Rule({ met, text }: PasswordRule) {
  const state = met === null ? '' : met ? ' rule--met' : ' rule--unmet';
  return (
    <li className={`rule${state}`}>
      {text}
      {met === true ? <span className="sr-only"> (done)</span> : null}
    </li>
  );
}
