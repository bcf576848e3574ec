import { columnLabel } from './columnLabel.ts';

describe('Function: columnLabel', () => {
  it('shows what looks like a column name', () => {
    // Assess
    expect(columnLabel(' shoe size ', 3)).toBe('shoe size');
    expect(columnLabel('Größe (cm)', 4)).toBe('Größe (cm)');
    expect(columnLabel('ward_id', 5)).toBe('ward_id');
    expect(columnLabel('Unnamed: 32', 35)).toBe('Unnamed: 32'); // pandas' index column
  });

  it('hides what may be patient data: ids, dates, text, long cells', () => {
    // Assess
    expect(columnLabel('MRN-77441190', 2)).toBe('(column 2: 12 characters, not shown)');
    expect(columnLabel('2024-03-01')).toBe('(a key: 10 characters, not shown)');
    expect(columnLabel('Invasive ductal carcinoma, grade 3', 7)).toBe(
      '(column 7: 34 characters, not shown)',
    );
    expect(columnLabel('jane.doe@example.org', 1)).toBe('(column 1: 20 characters, not shown)');
    expect(columnLabel('x'.repeat(41), 9)).toBe('(column 9: 41 characters, not shown)');
  });
});
