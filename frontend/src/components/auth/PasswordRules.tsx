import { useQuery } from '@tanstack/react-query';
import { loadCommonPasswords, passwordRules, type PasswordRule } from '../../lib/passwordRules';

interface PasswordRulesProps {
  id: string;
  password: string;
  email: string;
}

/** The rules below the register form's password, checked as it is typed. */
export function PasswordRules({ id, password, email }: PasswordRulesProps) {
  const commonPasswords = useQuery({
    queryKey: ['common-passwords'],
    queryFn: loadCommonPasswords,
    staleTime: Infinity,
    // Only once there is something to check: visitors who log in never load it.
    enabled: password !== '',
  });
  return <PasswordRuleList id={id} rules={passwordRules(password, email, commonPasswords.data ?? null)} />;
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
