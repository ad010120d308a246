import { awsManagedPolicy, isAwsManagedPolicyArn } from '../../../local/iam/managed-policies';
import { policyProblems } from '../../../local/iam/policy-document';

describe('awsManagedPolicy', () => {
  it.each([
    ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'logs:PutLogEvents'],
    ['arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole', 'ec2:CreateNetworkInterface'],
    ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore', 'ssmmessages:OpenDataChannel'],
  ])('knows %s, a valid identity-based policy', (arn, action) => {
    const document = awsManagedPolicy(arn);

    expect(policyProblems(document, 'identity')).toEqual([]);
    expect(JSON.stringify(document)).toContain(`"${action}"`);
  });

  it('fails on an AWS managed policy local mode does not know, naming it and where to add it', () => {
    expect(() => awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess')).toThrow(
      /does not know the AWS managed policy arn:aws:iam::aws:policy\/AdministratorAccess; add its default version from https:\/\/docs\.aws\.amazon\.com\/aws-managed-policy\/latest\/reference\/AdministratorAccess\.html/,
    );
  });
});

describe('isAwsManagedPolicyArn', () => {
  it('accepts an AWS managed policy in any partition', () => {
    expect(isAwsManagedPolicyArn('arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')).toBe(
      true,
    );
  });

  it("rejects an account's own managed policy", () => {
    expect(isAwsManagedPolicyArn('arn:aws:iam::000000000000:policy/Mine')).toBe(false);
  });
});
